using System.Net;
using Microsoft.Extensions.Logging;
using P2PShare.Networking.Native;
using P2PShare.Protocol.Native;

namespace P2PShare.Engine.Native;

/// <summary>
/// The hybrid node dials native peers too: the --native-peer addresses (kept connected for ever) and peers named in a
/// connected native peer's <c>peers</c> message (a few attempts each, at most <see cref="NativeDialOptions.MaxKnown"/>
/// addresses), through the same <see cref="NativeDialer"/> as native mode, within the engine's half-open budget. Of two
/// native nodes that learn of each other, only the one with the greater id dials. Needs the engine's native listener
/// (our node id and port go in the handshake).
/// </summary>
internal sealed partial class NativeTorrentPeers
{
    private NativeDialer? _dialer;

    /// <summary>Native addresses known to the dialer (given and learnt). Read under the lock.</summary>
    public int KnownNativeAddresses => _dialer?.KnownCount ?? 0;

    /// <summary>Starts keeping connections to <paramref name="peers"/>. False without the engine's native listener.</summary>
    public bool Dial(IEnumerable<DnsEndPoint> peers)
    {
        if (Dialer() is not { } dialer)
            return false;
        foreach (var peer in peers)
            dialer.Dial(peer, persistent: true, knownId: null);
        return true;
    }

    private NativeDialer? Dialer()
    {
        if (_shared?.Native is not { } gateway)
            return null;
        lock (_gate)
        {
            return _dialer ??= new NativeDialer(_gate, _options.Dial, _shared.Connections, _time, Random.Shared, _logger, _track,
                (stream, remote, token) => EstablishAsync(gateway, stream, remote, token), id => _peers.Any(p => p.Id == id), RunDialledAsync, _lifetime);
        }
    }

    /// <summary>Sends our handshake (we dial, so we speak first) and checks that the answer is a peer with our file.</summary>
    private async Task<NativeConnection> EstablishAsync(NativeGateway gateway, Stream stream, IPEndPoint remote, CancellationToken cancellationToken)
    {
        var ours = await HandshakeForAsync(null, gateway.NodeId, gateway.Port, cancellationToken).ConfigureAwait(false);
        var connection = await NativeConnectionEstablisher.EstablishAsync(stream, remote, dialled: true, ours, NativeSecurity.None, gateway.Limits,
            _options.Dial.ConnectTimeout, _logger, cancellationToken).ConfigureAwait(false);
        var theirs = connection.RemoteHandshake;
        string? refusal = theirs.Id == gateway.NodeId ? "that is us" : Match(theirs) == 0 ? "it shares another file" : null;
        if (refusal is null)
            return connection;
        await connection.DisposeAsync().ConfigureAwait(false);
        throw new NativeProtocolException($"native peer {theirs.Id} at {remote}: {refusal}");
    }

    /// <summary>Runs a dialled connection as one of the torrent's native peers until it leaves; false when refused.</summary>
    private async Task<bool> RunDialledAsync(NativeConnection connection)
    {
        if (Attach(connection) is not { } run)
            return false;
        await run.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        return true;
    }

    /// <summary>Native peer exchange: newly named peers are dialled (when our id is the greater), bounded by the address book.</summary>
    private void OnPeersExchanged(NativePeers message)
    {
        if (_shared?.Native is not { } gateway || Dialer() is not { } dialer)
            return;
        foreach (var entry in message.Peers)
        {
            if (entry.Id == gateway.NodeId || entry.Port is <= 0 or > IPEndPoint.MaxPort || !NativeHostParser.TryParse(entry.Host, out var address))
                continue;
            bool known;
            lock (_gate)
                known = _peers.Any(p => p.Id == entry.Id) || IsBannedIdLocked(entry.Id);
            if (known || !NativePeerId.ShouldDial(gateway.NodeId, entry.Id))
                continue;
            _logger.LogDebug("Learnt native peer {PeerId} at {Host}:{Port} by exchange; dialling it", entry.Id, address, entry.Port);
            dialer.Dial(new DnsEndPoint(address.ToString(), entry.Port), persistent: false, entry.Id);
        }
    }

    private bool IsBannedIdLocked(string id) => _banned.Contains("id:" + id);
}
