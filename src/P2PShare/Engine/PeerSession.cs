using System.Buffers;
using System.Threading.Channels;
using P2PShare.Networking;
using P2PShare.Networking.Peers;
using P2PShare.Protocol;
using P2PShare.Protocol.Extensions;
using P2PShare.Protocol.Wire;

namespace P2PShare.Engine;

/// <summary>
/// The engine's view of one connected peer: choke/interest state, what it has, what we asked it for,
/// what it asked us for, and its rates. State is guarded by the torrent session's lock; the send loop
/// runs on its own so the receive path never waits on the network.
/// </summary>
internal sealed class PeerSession
{
    /// <summary>More queued requests than any sane client keeps in flight: a flood, and the peer is dropped.</summary>
    public const int MaxPendingUploads = 2048;

    /// <summary>
    /// Most messages waiting to be sent, HAVEs aside (at most one per piece, so bounded by the torrent). Our own
    /// requests, cancels and state changes stay far below it; what can pass it is answers to a peer that asks and does
    /// not read (rejects, cancelled blocks), and that peer is dropped.
    /// </summary>
    public const int MaxQueuedMessages = 4 * MaxPendingUploads;

    private readonly Channel<OutgoingMessage> _outbox = Channel.CreateUnbounded<OutgoingMessage>(new UnboundedChannelOptions { SingleReader = true });

    /// <summary>Messages in <see cref="_outbox"/> that count against <see cref="MaxQueuedMessages"/>.</summary>
    private int _queued;

    private readonly TimeProvider _time;

    /// <summary>Most allowed-fast pieces kept from one peer (BEP 6 suggests about 10; more are ignored).</summary>
    public const int MaxAllowedFast = 32;

    /// <param name="ourReserved">The reserved bits of our handshake on this connection: the Fast extension is on when both set it.</param>
    public PeerSession(PeerConnection connection, int pieceCount, TimeProvider time, ulong ourReserved = ExtensionSupport.Reserved)
    {
        _time = time;
        Connection = connection;
        IsFast = (ourReserved & Handshake.FastExtensionBit) != 0 && connection.Remote.SupportsFastExtension;
        Has = new Bitfield(pieceCount);
        DownloadRate = new RateEstimator(time);
        UploadRate = new RateEstimator(time);
        ConnectedAt = time.GetTimestamp();
        LastReceivedDataAt = ConnectedAt;
        LastMessageAt = ConnectedAt;
        LastSentAt = ConnectedAt;
    }

    public PeerConnection Connection { get; }

    private readonly List<KnownPeer> _knownAddresses = [];

    /// <summary>An address that leads to this peer: it counts as connected while this connection lasts.</summary>
    public void AddKnownAddress(KnownPeer known)
    {
        known.IsConnected = true;
        _knownAddresses.Add(known);
    }

    public IReadOnlyList<KnownPeer> KnownAddresses => _knownAddresses;

    /// <summary>The addresses that led to this peer, handed over (to the dialer when it leaves, or to a replacing connection).</summary>
    public List<KnownPeer> TakeKnownAddresses()
    {
        var addresses = _knownAddresses.ToList();
        _knownAddresses.Clear();
        return addresses;
    }

    public string Name => Connection.RemoteEndPoint.ToString();

    public Bitfield Has { get; }

    public bool AmChoking { get; set; } = true;

    public bool AmInterested { get; set; }

    public bool PeerChoking { get; set; } = true;

    public bool PeerInterested { get; set; }

    public bool SentFirstMessage { get; set; }

    public bool IsSnubbed { get; set; }

    public RequestQueue Outstanding { get; } = new();

    /// <summary>Blocks we cancelled in endgame: if they still arrive, that is not a protocol violation.</summary>
    public HashSet<long> Cancelled { get; } = [];

    /// <summary>Requests from the peer not served yet: block key → requested length (a reject must repeat it).</summary>
    public Dictionary<long, int> PendingUploads { get; } = [];

    /// <summary>Both handshakes set the Fast extension bit (BEP 6): have-all/none, reject, allowed-fast and suggest are allowed.</summary>
    public bool IsFast { get; }

    /// <summary>Reject-request messages (BEP 6) received from the peer for blocks we had asked it for.</summary>
    public int RejectsReceived { get; set; }

    /// <summary>The peer said have-all: it is counted once as a seed by the picker (not piece by piece).</summary>
    public bool CountedAsSeed { get; set; }

    /// <summary>Pieces the peer lets us request while it chokes us (its allowed-fast messages, at most <see cref="MaxAllowedFast"/>).</summary>
    public HashSet<int> AllowedFastFromPeer { get; } = [];

    /// <summary>Pieces we let the peer request while we choke it (the allowed-fast set we sent).</summary>
    public IReadOnlySet<int> AllowedFastToPeer { get; set; } = new HashSet<int>();

    public RateEstimator DownloadRate { get; }

    public RateEstimator UploadRate { get; }

    /// <summary>The slow start of our request queue to this peer; made by the scheduler at its first fill.</summary>
    public RequestRamp? RequestRamp { get; set; }

    public long ConnectedAt { get; }

    public long LastReceivedDataAt { get; set; }

    /// <summary>When the peer last sent anything (a keep-alive counts): a peer silent too long is dropped.</summary>
    public long LastMessageAt { get; set; }

    /// <summary>When we last sent the peer anything: after a long silence a keep-alive goes out.</summary>
    public long LastSentAt { get; set; }

    /// <summary>Why the engine closed the connection, when it did (idle, evicted, replaced).</summary>
    public string? CloseReason { get; set; }

    public long UnchokedAt { get; set; }

    public long VerifiedBytes { get; set; }

    public int HashFailures { get; set; }

    /// <summary>Trust points (as libtorrent keeps them): earned by pieces that verified, lost by failures it shared in.</summary>
    public int Trust { get; set; }

    public int RequestTimeouts { get; set; }

    /// <summary>The peer's BEP 10 extended handshake (ut_metadata id, client 'v', listen port 'p'), once received.</summary>
    public ExtensionHandshake? Extensions { get; set; }

    /// <summary>The address the peer listens on: for an incoming peer, its IP with the port from 'p', else where we dialled.</summary>
    public System.Net.IPEndPoint? ListenEndPoint => Connection.IsOutgoing ? Connection.RemoteEndPoint
        : Extensions?.ListenPort is { } port ? new System.Net.IPEndPoint(Connection.RemoteEndPoint.Address, port) : null;

    public int MetadataRequests { get; set; }

    /// <summary>The peer's BEP 5 PORT message was taken (later ones are ignored).</summary>
    public bool DhtPortSeen { get; set; }

    /// <summary>BEP 11: the addresses this peer has been told about and not told dropped; null until it announces ut_pex.</summary>
    public HashSet<System.Net.IPEndPoint>? PexSent { get; set; }

    /// <summary>When the peer may be sent its next ut_pex message.</summary>
    public long PexNextSendAt { get; set; }

    /// <summary>ut_pex messages from the peer that were applied, and when the last was.</summary>
    public int PexReceived { get; set; }

    public long PexLastReceivedAt { get; set; }

    public PeerRecord Record(TimeProvider time) =>
        new(VerifiedBytes, DownloadRate.BytesPerSecond, RequestTimeouts, IsSnubbed, HashFailures, time.GetElapsedTime(ConnectedAt));

    public CancellationTokenSource Lifetime { get; } = new();

    public void Enqueue(OutgoingMessage message)
    {
        if (message.Id != MessageId.Have && Interlocked.Increment(ref _queued) > MaxQueuedMessages)
        {
            Interlocked.Decrement(ref _queued);
            if (!Lifetime.IsCancellationRequested)
            {
                CloseReason = $"does not read what it asks for ({MaxQueuedMessages} messages waiting to be sent)";
                Lifetime.Cancel();
            }
            return;
        }
        _outbox.Writer.TryWrite(message);
    }

    public void CloseOutbox() => _outbox.Writer.TryComplete();

    /// <summary>Interested when the peer has a piece we lack; says so only on a change.</summary>
    public void UpdateInterest(Bitfield have)
    {
        // Spare trailing bits are never set, so a byte-wise test is exact (this runs after every verified piece the peer has).
        var wants = Has.HasAnyNotIn(have);
        if (wants != AmInterested)
            SetInterested(wants);
    }

    public void SetInterested(bool interested)
    {
        AmInterested = interested;
        Enqueue(new OutgoingMessage(interested ? MessageId.Interested : MessageId.NotInterested));
    }

    public void SetChoking(bool choking)
    {
        if (AmChoking == choking)
            return;
        AmChoking = choking;
        Enqueue(new OutgoingMessage(choking ? MessageId.Choke : MessageId.Unchoke));
        if (choking)
            DropPendingUploads();
    }

    /// <summary>
    /// On choke: requests not served yet are forgotten (blocks already queued are skipped by the send loop). A fast
    /// peer is told so with a reject for each, and keeps its requests for allowed-fast pieces.
    /// </summary>
    private void DropPendingUploads()
    {
        if (!IsFast)
        {
            PendingUploads.Clear();
            return;
        }
        List<long>? rejected = null;
        foreach (var (key, length) in PendingUploads)
        {
            var (index, begin) = ((int)(key >> 32), (int)(uint)key);
            if (AllowedFastToPeer.Contains(index))
                continue;
            (rejected ??= []).Add(key);
            Enqueue(new OutgoingMessage(MessageId.RejectRequest, index, begin, length));
        }
        foreach (var key in rejected ?? [])
            PendingUploads.Remove(key);
    }

    /// <summary>
    /// Bytes of one write while blocks are queued: several piece messages (and the control messages between them) go out
    /// in one send instead of one send per 16 KiB block. Rented only while blocks are being sent.
    /// </summary>
    public const int SendBatchBytes = 128 * 1024;

    /// <summary>
    /// Drains the outbox in order into one buffer, sent when full and when the outbox is empty: control messages and
    /// blocks (read from the cache or disk right behind their headers) share the writes. A block whose window is not
    /// cached sends what is buffered first, so a disk read never holds back data that is ready.
    /// </summary>
    public async Task RunSenderAsync(BlockReadCache store, Func<PeerSession, OutgoingMessage, bool> stillWanted, Action<int> onUploaded, TokenBucket? uploadLimit, CancellationToken cancellationToken)
    {
        var control = ArrayPool<byte>.Shared.Rent(16 * 1024);
        var buffer = control;
        try
        {
            var reader = _outbox.Reader;
            while (await reader.WaitToReadAsync(cancellationToken).ConfigureAwait(false))
            {
                var used = 0;
                while (reader.TryRead(out var message))
                {
                    if (message.Id != MessageId.Have)
                        Interlocked.Decrement(ref _queued);
                    if (message.Id == MessageId.Piece)
                    {
                        if (!stillWanted(this, message))
                            continue;
                        if (uploadLimit is not null)
                        {
                            // Within the rate (or unlimited) this completes at once; a pause first sends what is paid for.
                            var paid = uploadLimit.ConsumeAsync(message.Length, cancellationToken);
                            if (!paid.IsCompleted)
                                used = await FlushAsync(buffer, used, cancellationToken).ConfigureAwait(false);
                            await paid.ConfigureAwait(false);
                        }
                        var frameLength = MessageWriter.PieceHeaderLength + message.Length;
                        if (buffer.Length - used < frameLength)
                        {
                            if (ReferenceEquals(buffer, control))
                            {
                                buffer = ArrayPool<byte>.Shared.Rent(Math.Max(SendBatchBytes, used + frameLength));
                                control.AsSpan(0, used).CopyTo(buffer);
                            }
                            else
                            {
                                used = await FlushAsync(buffer, used, cancellationToken).ConfigureAwait(false);
                            }
                        }
                        var data = buffer.AsMemory(used + MessageWriter.PieceHeaderLength, message.Length);
                        if (!store.TryReadCached(message.Index, message.Begin, data.Span))
                        {
                            used = await FlushAsync(buffer, used, cancellationToken).ConfigureAwait(false);
                            data = buffer.AsMemory(MessageWriter.PieceHeaderLength, message.Length);
                            await store.ReadAsync(message.Index, message.Begin, data, cancellationToken).ConfigureAwait(false);
                        }
                        MessageWriter.WritePieceHeader(buffer.AsSpan(used), message.Index, message.Begin, message.Length);
                        used += frameLength;
                        UploadRate.Add(message.Length);
                        onUploaded(message.Length);
                        continue;
                    }
                    if (message.Encoded is { } frame)
                    {
                        if (used + frame.Length > buffer.Length)
                            used = await FlushAsync(buffer, used, cancellationToken).ConfigureAwait(false);
                        if (frame.Length > buffer.Length)
                        {
                            await Connection.SendAsync(frame, cancellationToken).ConfigureAwait(false);
                            continue;
                        }
                        frame.CopyTo(buffer, used);
                        used += frame.Length;
                        continue;
                    }
                    if (used + 64 > buffer.Length)
                        used = await FlushAsync(buffer, used, cancellationToken).ConfigureAwait(false);
                    used += Write(buffer.AsSpan(used), message);
                }
                await FlushAsync(buffer, used, cancellationToken).ConfigureAwait(false);
                if (!ReferenceEquals(buffer, control))
                {
                    ArrayPool<byte>.Shared.Return(buffer);
                    buffer = control;
                }
                LastSentAt = _time.GetTimestamp();
            }
        }
        finally
        {
            if (!ReferenceEquals(buffer, control))
                ArrayPool<byte>.Shared.Return(buffer);
            ArrayPool<byte>.Shared.Return(control);
        }
    }

    /// <summary>Sends the first <paramref name="used"/> bytes of <paramref name="buffer"/>, if any; returns 0 (the new fill).</summary>
    private async ValueTask<int> FlushAsync(byte[] buffer, int used, CancellationToken cancellationToken)
    {
        if (used > 0)
            await Connection.SendAsync(buffer.AsMemory(0, used), cancellationToken).ConfigureAwait(false);
        return 0;
    }

    private static int Write(Span<byte> destination, OutgoingMessage message) => message.Id switch
    {
        MessageId.KeepAlive => MessageWriter.WriteKeepAlive(destination),
        MessageId.Have => MessageWriter.WriteHave(destination, message.Index),
        MessageId.Request => MessageWriter.WriteRequest(destination, message.Index, message.Begin, message.Length),
        MessageId.Cancel => MessageWriter.WriteCancel(destination, message.Index, message.Begin, message.Length),
        MessageId.RejectRequest => MessageWriter.WriteRejectRequest(destination, message.Index, message.Begin, message.Length),
        MessageId.AllowedFast => MessageWriter.WriteAllowedFast(destination, message.Index),
        MessageId.SuggestPiece => MessageWriter.WriteSuggestPiece(destination, message.Index),
        _ => MessageWriter.WriteSimple(destination, message.Id),
    };
}
