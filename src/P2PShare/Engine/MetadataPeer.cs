using System.Threading.Channels;
using P2PShare.Networking.Peers;
using P2PShare.Protocol.Extensions;

namespace P2PShare.Engine;

/// <summary>
/// A peer connected during the metadata phase of a magnet link: what its extended handshake offered and how
/// it has answered our ut_metadata requests. State is guarded by the fetcher's lock; frames go out through a
/// queue drained by the peer's own send loop.
/// </summary>
internal sealed class MetadataPeer(PeerConnection connection, KnownPeer? known, long connectedAt)
{
    private readonly Channel<byte[]> _outbox = Channel.CreateUnbounded<byte[]>(new UnboundedChannelOptions { SingleReader = true });

    public PeerConnection Connection { get; } = connection;

    public KnownPeer? Known { get; } = known;

    public string Name => Connection.RemoteEndPoint.ToString();

    public long ConnectedAt { get; } = connectedAt;

    public CancellationTokenSource Lifetime { get; } = new();

    public ExtensionHandshake? Extensions { get; set; }

    /// <summary>The id to send ut_metadata messages to this peer under, when it offers metadata.</summary>
    public byte? RemoteMetadataId => Extensions?.IdOf(ExtensionHandshake.UtMetadata);

    /// <summary>Its metadata_size, once checked to be within our limit.</summary>
    public long? MetadataSize { get; set; }

    /// <summary>It rejected a request: it does not have the metadata (yet); not asked again.</summary>
    public bool Rejected { get; set; }

    /// <summary>Requests it let time out.</summary>
    public int Strikes { get; set; }

    /// <summary>Metadata requests it sent us (we have nothing to give yet): bounded.</summary>
    public int RequestsReceived { get; set; }

    /// <summary>Haves kept for the data phase at most (a bitfield says more in less).</summary>
    public const int MaxHaves = 1 << 16;

    /// <summary>The peer's bitfield as sent (a copy), for the data phase.</summary>
    public byte[]? Bitfield { get; set; }

    public List<int> Haves { get; } = [];

    /// <summary>The peer said have-all (BEP 6) instead of a bitfield.</summary>
    public bool HaveAll { get; set; }

    /// <summary>Its allowed-fast pieces (BEP 6), at most <see cref="PeerSession.MaxAllowedFast"/>.</summary>
    public List<int> AllowedFast { get; } = [];

    public bool PeerChoking { get; set; } = true;

    public bool PeerInterested { get; set; }

    /// <summary>The metadata is complete and this connection goes on into the data phase.</summary>
    public bool HandingOver { get; set; }

    /// <summary>The peer's receive and send loops.</summary>
    public Task? Run { get; set; }

    public void Send(byte[] frame) => _outbox.Writer.TryWrite(frame);

    public void CloseOutbox() => _outbox.Writer.TryComplete();

    public async Task RunSenderAsync(CancellationToken cancellationToken)
    {
        var reader = _outbox.Reader;
        while (await reader.WaitToReadAsync(cancellationToken).ConfigureAwait(false))
            while (reader.TryRead(out var frame))
                await Connection.SendAsync(frame, cancellationToken).ConfigureAwait(false);
    }
}
