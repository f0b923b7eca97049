using System.Buffers.Binary;
using System.Diagnostics;
using System.Net;
using System.Net.Sockets;

namespace P2PShare.Tests.Resilience;

/// <summary>What a <see cref="MisbehavingPeer"/> does wrong.</summary>
public enum Misbehaviour
{
    /// <summary>An honest seeder (useful as a control).</summary>
    None,

    /// <summary>Answers every request with the right length but inverted bytes.</summary>
    SendCorruptBlocks,

    /// <summary>Unchokes, accepts requests, never sends a block.</summary>
    NeverAnswer,

    /// <summary>Serves half of a piece's blocks, then closes the connection; on every connection.</summary>
    DisconnectMidPiece,

    /// <summary>On the first request, sends a piece message whose length prefix claims ~2 GiB, then streams junk.</summary>
    HugeLengthPrefix,

    /// <summary>Sends a bitfield one byte longer than the torrent's piece count allows.</summary>
    WrongSizeBitfield,

    /// <summary>Right after unchoking, sends a (correct) block that was never requested.</summary>
    UnrequestedPiece,
}

/// <summary>How one connection to a <see cref="MisbehavingPeer"/> went.</summary>
public sealed record MisbehavingConnection(int Number, TimeSpan AcceptedAt, TimeSpan? EndedAt, string? EndReason, bool ClosedByRemote,
    int RequestsReceived, int BlocksSent, long JunkBytesWritten);

/// <summary>
/// A small BitTorrent seeder for tests (BEP 3 only, single-file torrents) that misbehaves on purpose.
/// It listens on a loopback address, answers the client's handshake, sends a bitfield with every piece,
/// unchokes, and then answers requests from the data file according to <see cref="Misbehaviour"/>.
/// It records every connection (when, how it ended, who closed it) for the test to assert on.
/// It bounds what it reads itself: a test peer must not be the thing that runs out of memory.
/// </summary>
public sealed class MisbehavingPeer : IAsyncDisposable
{
    /// <summary>Largest message this peer reads from the client (a request is 17 bytes, a bitfield a few KiB).</summary>
    private const int MaxIncomingMessage = 1 << 20;

    private const int BlockLength = 16 * 1024;
    private const int HandshakeLength = 68;

    /// <summary>The huge length prefix: ~2 GiB of "piece" the client must never try to buffer.</summary>
    public const uint HugeLength = 0x7FFF_FFF0;

    /// <summary>How much junk follows the huge prefix at most (the client should have hung up long before).</summary>
    public const long MaxJunkBytes = 256L * 1024 * 1024;

    private readonly TcpListener _listener;
    private readonly CancellationTokenSource _stop = new();
    private readonly Stopwatch _clock = Stopwatch.StartNew();
    private readonly Lock _lock = new();
    private readonly List<ConnectionState> _connections = [];
    private readonly List<Task> _handlers = [];
    private readonly byte[] _infoHash;
    private readonly byte[] _peerId;
    private readonly string _dataFile;
    private readonly int _pieceLength;
    private readonly long _totalLength;
    private readonly int _pieceCount;
    private Task? _acceptLoop;

    private MisbehavingPeer(Misbehaviour behaviour, IPAddress address, ReadOnlySpan<byte> infoHash, string dataFile, int pieceLength, long totalLength)
    {
        Behaviour = behaviour;
        _infoHash = infoHash.ToArray();
        _dataFile = dataFile;
        _pieceLength = pieceLength;
        _totalLength = totalLength;
        _pieceCount = (int)((totalLength + pieceLength - 1) / pieceLength);
        _peerId = new byte[20];
        "-MB0001-"u8.CopyTo(_peerId);
        Random.Shared.NextBytes(_peerId.AsSpan(8));
        _listener = new TcpListener(address, 0);
    }

    public Misbehaviour Behaviour { get; }

    public IPEndPoint EndPoint => (IPEndPoint)_listener.LocalEndpoint;

    /// <summary>HOST:PORT, for the client's --peer.</summary>
    public string PeerArgument => $"{EndPoint.Address}:{EndPoint.Port}";

    /// <summary>
    /// Starts a peer for the single-file torrent at <paramref name="torrentPath"/> whose complete content is
    /// <paramref name="dataFile"/>. <paramref name="address"/> defaults to 127.0.0.1; another 127.x.y.z address
    /// gives the peer an IP of its own (the client bans by IP).
    /// </summary>
    public static async Task<MisbehavingPeer> StartAsync(Misbehaviour behaviour, string torrentPath, string dataFile, IPAddress? address = null,
        CancellationToken cancellationToken = default)
    {
        var torrent = await P2PShare.Metainfo.TorrentParser.LoadAsync(torrentPath, cancellationToken).ConfigureAwait(false);
        if (torrent.IsMultiFile)
        {
            throw new ArgumentException("MisbehavingPeer serves single-file torrents only", nameof(torrentPath));
        }
        if (new FileInfo(dataFile).Length != torrent.TotalLength)
        {
            throw new ArgumentException($"{dataFile} is not the torrent's content ({torrent.TotalLength} bytes)", nameof(dataFile));
        }
        var peer = new MisbehavingPeer(behaviour, address ?? IPAddress.Loopback, torrent.InfoHash.Span, dataFile, torrent.PieceLength, torrent.TotalLength);
        peer._listener.Start();
        peer._acceptLoop = peer.AcceptLoopAsync();
        return peer;
    }

    /// <summary>Snapshot of every connection so far, in accept order.</summary>
    public IReadOnlyList<MisbehavingConnection> Connections
    {
        get
        {
            lock (_lock)
            {
                return _connections.Select(c => c.Snapshot()).ToList();
            }
        }
    }

    /// <summary>Time since this peer started (the clock of <see cref="MisbehavingConnection.AcceptedAt"/>).</summary>
    public TimeSpan Elapsed => _clock.Elapsed;

    public string Describe() =>
        $"MisbehavingPeer({Behaviour}) on {PeerArgument}, connections:{Environment.NewLine}" +
        string.Join(Environment.NewLine, Connections.Select(c => "  " + c));

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync().ConfigureAwait(false);
        _listener.Stop();
        Task[] handlers;
        lock (_lock)
        {
            handlers = [.. _handlers];
        }
        var all = handlers.Append(_acceptLoop ?? Task.CompletedTask);
        await Task.WhenAll(all).WaitAsync(TimeSpan.FromSeconds(10)).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        _stop.Dispose();
    }

    private async Task AcceptLoopAsync()
    {
        while (!_stop.IsCancellationRequested)
        {
            Socket socket;
            try
            {
                socket = await _listener.AcceptSocketAsync(_stop.Token).ConfigureAwait(false);
            }
            catch (Exception e) when (e is OperationCanceledException or ObjectDisposedException or SocketException)
            {
                return;
            }
            ConnectionState state;
            lock (_lock)
            {
                state = new ConnectionState(_connections.Count + 1, _clock.Elapsed);
                _connections.Add(state);
                _handlers.Add(Task.Run(() => HandleAsync(socket, state)));
            }
        }
    }

    private async Task HandleAsync(Socket socket, ConnectionState state)
    {
        socket.NoDelay = true;
        var stream = new NetworkStream(socket, ownsSocket: true);
        var token = _stop.Token;
        try
        {
            await using (stream.ConfigureAwait(false))
            {
                var reason = await ServeAsync(stream, state, token).ConfigureAwait(false);
                state.End(_clock.Elapsed, reason, closedByRemote: false);
            }
        }
        catch (RemoteClosedException e)
        {
            state.End(_clock.Elapsed, e.Message, closedByRemote: true);
        }
        catch (Exception e) when (e is IOException or SocketException)
        {
            // A reset or broken pipe while we read or write: the client hung up on us.
            state.End(_clock.Elapsed, $"{e.GetType().Name}: {e.Message}", closedByRemote: true);
        }
        catch (OperationCanceledException)
        {
            state.End(_clock.Elapsed, "test peer stopped", closedByRemote: false);
        }
    }

    /// <summary>Runs one connection; returns why we closed it (a client hang-up throws instead).</summary>
    private async Task<string> ServeAsync(NetworkStream stream, ConnectionState state, CancellationToken token)
    {
        var handshake = new byte[HandshakeLength];
        await ReadExactlyAsync(stream, handshake, token).ConfigureAwait(false);
        if (handshake[0] != 19 || !handshake.AsSpan(1, 19).SequenceEqual("BitTorrent protocol"u8))
        {
            return "not a BitTorrent handshake";
        }
        if (!handshake.AsSpan(28, 20).SequenceEqual(_infoHash))
        {
            return "handshake for another torrent";
        }
        var reply = new byte[HandshakeLength];
        reply[0] = 19;
        "BitTorrent protocol"u8.CopyTo(reply.AsSpan(1));
        _infoHash.CopyTo(reply.AsSpan(28));
        _peerId.CopyTo(reply.AsSpan(48));
        await stream.WriteAsync(reply, token).ConfigureAwait(false);

        var bitfieldLength = (_pieceCount + 7) / 8 + (Behaviour == Misbehaviour.WrongSizeBitfield ? 1 : 0);
        var bitfield = new byte[bitfieldLength];
        for (var i = 0; i < _pieceCount; i++)
        {
            bitfield[i / 8] |= (byte)(0x80 >> (i % 8));
        }
        await WriteMessageAsync(stream, 5, bitfield, token).ConfigureAwait(false);
        await WriteMessageAsync(stream, 1, [], token).ConfigureAwait(false); // unchoke

        if (Behaviour == Misbehaviour.UnrequestedPiece)
        {
            // The last piece's first block: correct data, but nobody asked for it.
            var last = _pieceCount - 1;
            var length = (int)Math.Min(BlockLength, _totalLength - (long)last * _pieceLength);
            await SendBlockAsync(stream, last, 0, length, corrupt: false, token).ConfigureAwait(false);
        }

        var blocksSentPerPiece = new Dictionary<int, int>();
        var header = new byte[4];
        var body = new byte[64];
        while (true)
        {
            try
            {
                await ReadExactlyAsync(stream, header, token).ConfigureAwait(false);
            }
            catch (RemoteClosedException)
            {
                throw;
            }
            var length = BinaryPrimitives.ReadUInt32BigEndian(header);
            if (length == 0)
            {
                continue; // keep-alive
            }
            if (length > MaxIncomingMessage)
            {
                return $"client sent a {length}-byte message";
            }
            if (body.Length < length)
            {
                body = new byte[length];
            }
            await ReadExactlyAsync(stream, body.AsMemory(0, (int)length), token).ConfigureAwait(false);
            if (body[0] != 6 || length != 13)
            {
                continue; // interested, have, cancel...: nothing to do for a seeder this simple
            }
            var index = (int)BinaryPrimitives.ReadUInt32BigEndian(body.AsSpan(1));
            var begin = (int)BinaryPrimitives.ReadUInt32BigEndian(body.AsSpan(5));
            var blockLength = (int)BinaryPrimitives.ReadUInt32BigEndian(body.AsSpan(9));
            state.AddRequest();
            if ((uint)index >= (uint)_pieceCount || begin < 0 || blockLength is <= 0 or > 128 * 1024
                || (long)index * _pieceLength + begin + blockLength > Math.Min(_totalLength, (long)(index + 1) * _pieceLength))
            {
                return $"client requested out of range {index}:{begin}+{blockLength}";
            }
            switch (Behaviour)
            {
                case Misbehaviour.NeverAnswer:
                    continue;
                case Misbehaviour.HugeLengthPrefix:
                    return await SendHugeMessageAsync(stream, state, token).ConfigureAwait(false);
                case Misbehaviour.DisconnectMidPiece:
                    {
                        await SendBlockAsync(stream, index, begin, blockLength, corrupt: false, token).ConfigureAwait(false);
                        state.AddBlock();
                        var sent = blocksSentPerPiece[index] = blocksSentPerPiece.GetValueOrDefault(index) + 1;
                        var blocksInPiece = (PieceSize(index) + BlockLength - 1) / BlockLength;
                        if (sent >= Math.Max(1, blocksInPiece / 2))
                        {
                            return $"closed after {sent} of {blocksInPiece} blocks of piece {index}";
                        }
                        continue;
                    }
                default:
                    await SendBlockAsync(stream, index, begin, blockLength, corrupt: Behaviour == Misbehaviour.SendCorruptBlocks, token).ConfigureAwait(false);
                    state.AddBlock();
                    continue;
            }
        }
    }

    private async Task<string> SendHugeMessageAsync(NetworkStream stream, ConnectionState state, CancellationToken token)
    {
        var prefix = new byte[13];
        BinaryPrimitives.WriteUInt32BigEndian(prefix, HugeLength);
        prefix[4] = 7; // piece
        // index 0, begin 0: the rest of the header, then "block" bytes for as long as the client reads them.
        await stream.WriteAsync(prefix, token).ConfigureAwait(false);
        var junk = new byte[256 * 1024];
        Random.Shared.NextBytes(junk);
        while (state.JunkBytesWritten < MaxJunkBytes)
        {
            await stream.WriteAsync(junk, token).ConfigureAwait(false);
            state.AddJunk(junk.Length);
        }
        return $"wrote {MaxJunkBytes} junk bytes and the client was still reading";
    }

    private int PieceSize(int index) => (int)Math.Min(_pieceLength, _totalLength - (long)index * _pieceLength);

    private async Task SendBlockAsync(NetworkStream stream, int index, int begin, int length, bool corrupt, CancellationToken token)
    {
        var message = new byte[13 + length];
        BinaryPrimitives.WriteUInt32BigEndian(message, (uint)(9 + length));
        message[4] = 7;
        BinaryPrimitives.WriteUInt32BigEndian(message.AsSpan(5), (uint)index);
        BinaryPrimitives.WriteUInt32BigEndian(message.AsSpan(9), (uint)begin);
        using (var file = File.OpenHandle(_dataFile, FileMode.Open, FileAccess.Read, FileShare.ReadWrite))
        {
            var read = await RandomAccess.ReadAsync(file, message.AsMemory(13), (long)index * _pieceLength + begin, token).ConfigureAwait(false);
            if (read != length)
            {
                throw new InvalidOperationException($"short read of {_dataFile}");
            }
        }
        if (corrupt)
        {
            for (var i = 13; i < message.Length; i++)
            {
                message[i] ^= 0xFF;
            }
        }
        await stream.WriteAsync(message, token).ConfigureAwait(false);
    }

    private static async Task WriteMessageAsync(NetworkStream stream, byte id, byte[] payload, CancellationToken token)
    {
        var message = new byte[5 + payload.Length];
        BinaryPrimitives.WriteUInt32BigEndian(message, (uint)(1 + payload.Length));
        message[4] = id;
        payload.CopyTo(message, 5);
        await stream.WriteAsync(message, token).ConfigureAwait(false);
    }

    private static async Task ReadExactlyAsync(NetworkStream stream, Memory<byte> buffer, CancellationToken token)
    {
        var total = 0;
        while (total < buffer.Length)
        {
            var read = await stream.ReadAsync(buffer[total..], token).ConfigureAwait(false);
            if (read == 0)
            {
                throw new RemoteClosedException("client closed the connection");
            }
            total += read;
        }
    }

    private sealed class RemoteClosedException(string message) : Exception(message);

    private sealed class ConnectionState(int number, TimeSpan acceptedAt)
    {
        private readonly Lock _lock = new();
        private TimeSpan? _endedAt;
        private string? _endReason;
        private bool _closedByRemote;
        private int _requests;
        private int _blocks;
        private long _junk;

        public long JunkBytesWritten => Interlocked.Read(ref _junk);

        public void AddRequest() => Interlocked.Increment(ref _requests);

        public void AddBlock() => Interlocked.Increment(ref _blocks);

        public void AddJunk(int bytes) => Interlocked.Add(ref _junk, bytes);

        public void End(TimeSpan at, string reason, bool closedByRemote)
        {
            lock (_lock)
            {
                _endedAt ??= at;
                _endReason ??= reason;
                _closedByRemote = closedByRemote;
            }
        }

        public MisbehavingConnection Snapshot()
        {
            lock (_lock)
            {
                return new MisbehavingConnection(number, acceptedAt, _endedAt, _endReason, _closedByRemote,
                    Volatile.Read(ref _requests), Volatile.Read(ref _blocks), Interlocked.Read(ref _junk));
            }
        }
    }
}
