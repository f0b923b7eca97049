using Microsoft.Extensions.Logging;
using P2PShare.Engine.Native;
using P2PShare.Networking.Native;
using P2PShare.Protocol.Native;

namespace P2PShare.Engine;

/// <summary>Native-protocol peers as one more kind of peer of the torrent (docs/hybrid-node.md); created on first use.</summary>
internal sealed partial class TorrentSession : INativePeerSink
{
    private readonly IPieceStore _store;
    private NativeTorrentPeers? _native;

    /// <summary>Native peers connected now.</summary>
    public int NativePeerCount
    {
        get
        {
            lock (_gate)
                return _native?.Count ?? 0;
        }
    }

    /// <summary>Ids of native peers banned for data that failed the torrent's hashes.</summary>
    public IReadOnlyCollection<string> BannedNativePeers()
    {
        lock (_gate)
            return _native?.BannedIds ?? [];
    }

    /// <summary>The whole-file SHA-1 native peers are offered (once the torrent is complete and hashed), else null.</summary>
    public string? NativeFileHash
    {
        get
        {
            lock (_gate)
                return _native?.Summary?.FileHash;
        }
    }

    int INativePeerSink.NativeMatch(NativeHandshake theirs) =>
        _disposed != 0 || !NativeTorrentPeers.CanServe(_torrent) ? 0 : NativePeers().Match(theirs);

    ValueTask<NativeHandshake> INativePeerSink.NativeHandshakeForAsync(NativeHandshake theirs, string nodeId, int port, CancellationToken cancellationToken) =>
        NativePeers().HandshakeForAsync(theirs, nodeId, port, cancellationToken);

    void INativePeerSink.AttachNative(NativeConnection connection)
    {
        if (_disposed != 0 || !NativeTorrentPeers.CanServe(_torrent))
        {
            _ = connection.DisposeAsync().AsTask();
            return;
        }
        NativePeers().Attach(connection);
    }

    private NativeTorrentPeers NativePeers()
    {
        lock (_gate)
        {
            return _native ??= new NativeTorrentPeers(_gate, _torrent, _store, _have, _peers, _scheduler, _verifier, _uploadLimit, _downloadLimit,
                _uploadRate, _downloadRate, _options.Native, _time, _logger, Track, _lifetime.Token, _shared);
        }
    }

    /// <summary>Dials the native peers the options name (--native-peer), when the engine listens for native peers.</summary>
    private void StartNativeDialling()
    {
        if (_options.Native.Peers.Count == 0 || _disposed != 0 || !NativeTorrentPeers.CanServe(_torrent))
            return;
        if (!NativePeers().Dial(_options.Native.Peers))
            _logger.LogWarning("Native peers given but the engine has no native port: not dialling them");
    }

    private IEnumerable<PeerInfo> NativeInfos() => _native?.Infos() ?? [];

    private int NativePeerCountLocked => _native?.Count ?? 0;
}
