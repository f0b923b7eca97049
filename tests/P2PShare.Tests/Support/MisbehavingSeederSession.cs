using System.Buffers.Binary;
using System.Diagnostics;
using System.Net.Sockets;

namespace P2PShare.Tests.Support;

/// <summary>
/// One connection accepted by a <see cref="MisbehavingSeeder"/>: serves it according to the seeder's
/// <see cref="SeederMisbehaviour"/> and records how it went (<see cref="Snapshot"/>).
/// </summary>
internal sealed class MisbehavingSeederSession(MisbehavingSeeder seeder, int number, Stopwatch clock)
{
    /// <summary>Largest message read from the client (a request is 17 bytes, a bitfield a few KiB).</summary>
    private const int MaxIncomingMessage = 1 << 20;

    /// <summary>Largest block the seeder reads from its file for one request.</summary>
    private const int MaxRequestLength = 128 * 1024;

    private readonly TimeSpan _acceptedAt = clock.Elapsed;
    private readonly Lock _lock = new();
    private TimeSpan? _endedAt;
    private string? _endReason;
    private bool _closedByRemote;
    private int _requests;
    private int _blocks;
    private long _junk;
    private int _metadataRequests;
    private byte? _clientMetadataId;

    private SeederMisbehaviour Behaviour => seeder.Behaviour;

    public MisbehavingSeederConnection Snapshot()
    {
        lock (_lock)
        {
            return new MisbehavingSeederConnection(number, _acceptedAt, _endedAt, _endReason, _closedByRemote,
                Volatile.Read(ref _requests), Volatile.Read(ref _blocks), Interlocked.Read(ref _junk), Volatile.Read(ref _metadataRequests));
        }
    }

    /// <summary>Serves the connection until one side ends it; never throws.</summary>
    public async Task RunAsync(Socket socket, CancellationToken token)
    {
        socket.NoDelay = true;
        Stream stream = new NetworkStream(socket, ownsSocket: true);
        try
        {
            await using (stream.ConfigureAwait(false))
            {
                if (seeder.Transport is { } transport)
                {
                    try
                    {
                        stream = await transport(stream, token).ConfigureAwait(false);
                    }
                    catch (Exception e) when (e is not OperationCanceledException)
                    {
                        End($"transport refused the connection: {e.Message}", closedByRemote: false);
                        return;
                    }
                }
                await using var served = stream.ConfigureAwait(false);
                var reason = await ServeAsync(stream, token).ConfigureAwait(false);
                End(reason, closedByRemote: false);
            }
        }
        catch (EndOfStreamException)
        {
            End("client closed the connection", closedByRemote: true);
        }
        catch (Exception e) when (e is IOException or SocketException)
        {
            // A reset or broken pipe while we read or write: the client hung up on us.
            End($"{e.GetType().Name}: {e.Message}", closedByRemote: true);
        }
        catch (OperationCanceledException)
        {
            End("test peer stopped", closedByRemote: false);
        }
    }

    /// <summary>Runs the protocol; returns why we closed the connection (a client hang-up throws instead).</summary>
    private async Task<string> ServeAsync(Stream stream, CancellationToken token)
    {
        var handshake = new byte[RawPeerWire.HandshakeLength];
        await stream.ReadExactlyAsync(handshake, token).ConfigureAwait(false);
        if (RawPeerWire.HandshakeProblem(handshake, seeder.InfoHash) is { } problem)
        {
            return problem;
        }
        var offersMetadata = Behaviour is SeederMisbehaviour.WrongMetadata or SeederMisbehaviour.AbsurdMetadataSize or SeederMisbehaviour.OutOfRangeHaveBeforeMetadata
            or SeederMisbehaviour.NeverAnswerMetadata;
        await stream.WriteAsync(RawPeerWire.Handshake(seeder.InfoHash, seeder.PeerId, extensionProtocol: offersMetadata), token).ConfigureAwait(false);
        if (offersMetadata && RawPeerWire.HasExtensionProtocol(handshake))
        {
            var size = Behaviour == SeederMisbehaviour.AbsurdMetadataSize ? 1L << 40 : seeder.MetadataSize;
            await stream.WriteAsync(RawPeerWire.MetadataHandshake(size), token).ConfigureAwait(false);
        }

        var pieceCount = seeder.PieceCount;
        var bitfield = new byte[(pieceCount + 7) / 8 + (Behaviour == SeederMisbehaviour.WrongSizeBitfield ? 1 : 0)];
        for (var i = 0; i < pieceCount; i++)
        {
            bitfield[i / 8] |= (byte)(0x80 >> (i % 8));
        }
        await stream.WriteAsync(RawPeerWire.Message(RawPeerWire.Bitfield, bitfield), token).ConfigureAwait(false);
        if (Behaviour == SeederMisbehaviour.OutOfRangeHaveBeforeMetadata)
            await stream.WriteAsync(RawPeerWire.IndexMessage(RawPeerWire.Have, int.MaxValue), token).ConfigureAwait(false);
        if (Behaviour != SeederMisbehaviour.NeverUnchoke)
            await stream.WriteAsync(RawPeerWire.Message(RawPeerWire.Unchoke, []), token).ConfigureAwait(false);

        if (Behaviour == SeederMisbehaviour.UnrequestedPiece)
        {
            // The last piece's first block: correct data, but nobody asked for it.
            var last = pieceCount - 1;
            await SendBlockAsync(stream, last, 0, Math.Min(RawPeerWire.BlockLength, PieceSize(last)), corrupt: false, token).ConfigureAwait(false);
        }

        var reader = new RawFrameReader(stream, MaxIncomingMessage);
        var blocksSentPerPiece = new Dictionary<int, int>();
        while (true)
        {
            ReadOnlyMemory<byte> message;
            try
            {
                message = await reader.ReadAsync(token).ConfigureAwait(false);
            }
            catch (FrameTooLongException e)
            {
                return $"client sent a {e.Length}-byte message";
            }
            if (RawPeerWire.ParseExtended(message.Span) is var (extendedId, body))
            {
                await OnExtendedAsync(stream, extendedId, body, token).ConfigureAwait(false);
                continue;
            }
            if (RawPeerWire.ParseRequest(message.Span) is not (var index, var begin, var length))
            {
                continue; // interested, have, cancel...: nothing to do for a seeder this simple
            }
            Interlocked.Increment(ref _requests);
            if ((uint)index >= (uint)pieceCount || begin < 0 || length is <= 0 or > MaxRequestLength || (long)begin + length > PieceSize(index))
            {
                return $"client requested out of range {index}:{begin}+{length}";
            }
            switch (Behaviour)
            {
                case SeederMisbehaviour.NeverAnswer:
                    continue;
                case SeederMisbehaviour.HugeLengthPrefix:
                    return await SendHugeMessageAsync(stream, token).ConfigureAwait(false);
                case SeederMisbehaviour.DisconnectMidPiece:
                    {
                        await SendBlockAsync(stream, index, begin, length, corrupt: false, token).ConfigureAwait(false);
                        var sent = blocksSentPerPiece[index] = blocksSentPerPiece.GetValueOrDefault(index) + 1;
                        var blocksInPiece = (PieceSize(index) + RawPeerWire.BlockLength - 1) / RawPeerWire.BlockLength;
                        if (sent >= Math.Max(1, blocksInPiece / 2))
                        {
                            return $"closed after {sent} of {blocksInPiece} blocks of piece {index}";
                        }
                        continue;
                    }
                default:
                    await SendBlockAsync(stream, index, begin, length, corrupt: Behaviour == SeederMisbehaviour.SendCorruptBlocks, token).ConfigureAwait(false);
                    continue;
            }
        }
    }

    /// <summary>Learns the client's ut_metadata id from its extended handshake; answers metadata requests (with random bytes of the right size when the metadata is to be wrong).</summary>
    private async Task OnExtendedAsync(Stream stream, byte extendedId, byte[] body, CancellationToken token)
    {
        if (extendedId == 0)
        {
            _clientMetadataId = RawPeerWire.FindInteger(body, "ut_metadata") is { } id and > 0 and < 256 ? (byte)id : null;
            return;
        }
        if (extendedId != RawPeerWire.RawUtMetadataId || RawPeerWire.FindInteger(body, "msg_type") != 0 || RawPeerWire.FindInteger(body, "piece") is not { } piece)
        {
            return;
        }
        Interlocked.Increment(ref _metadataRequests);
        if (Behaviour is not (SeederMisbehaviour.WrongMetadata or SeederMisbehaviour.OutOfRangeHaveBeforeMetadata)
            || _clientMetadataId is not { } clientId || piece < 0 || piece * 16384L >= seeder.MetadataSize)
        {
            return;
        }
        var data = seeder.InfoBytes.AsSpan((int)piece * 16384, (int)Math.Min(16384, seeder.MetadataSize - piece * 16384L)).ToArray();
        if (Behaviour == SeederMisbehaviour.WrongMetadata)
            Random.Shared.NextBytes(data);
        await stream.WriteAsync(RawPeerWire.MetadataData(clientId, (int)piece, seeder.MetadataSize, data), token).ConfigureAwait(false);
    }

    private async Task<string> SendHugeMessageAsync(Stream stream, CancellationToken token)
    {
        // A piece header (id 7, index 0, begin 0) under a length prefix no client should accept,
        // then "block" bytes for as long as the client reads them.
        var prefix = new byte[13];
        BinaryPrimitives.WriteUInt32BigEndian(prefix, MisbehavingSeeder.HugeLength);
        prefix[4] = RawPeerWire.Piece;
        await stream.WriteAsync(prefix, token).ConfigureAwait(false);
        var junk = new byte[256 * 1024];
        Random.Shared.NextBytes(junk);
        while (Interlocked.Read(ref _junk) < MisbehavingSeeder.MaxJunkBytes)
        {
            await stream.WriteAsync(junk, token).ConfigureAwait(false);
            Interlocked.Add(ref _junk, junk.Length);
        }
        return $"wrote {MisbehavingSeeder.MaxJunkBytes} junk bytes and the client was still reading";
    }

    private int PieceSize(int index) => (int)Math.Min(seeder.PieceLength, seeder.TotalLength - (long)index * seeder.PieceLength);

    private async Task SendBlockAsync(Stream stream, int index, int begin, int length, bool corrupt, CancellationToken token)
    {
        var block = new byte[length];
        using (var file = File.OpenHandle(seeder.DataFile, FileMode.Open, FileAccess.Read, FileShare.ReadWrite))
        {
            var read = await RandomAccess.ReadAsync(file, block, (long)index * seeder.PieceLength + begin, token).ConfigureAwait(false);
            if (read != length)
            {
                throw new InvalidOperationException($"short read of {seeder.DataFile}");
            }
        }
        if (corrupt)
        {
            for (var i = 0; i < block.Length; i++)
            {
                block[i] ^= 0xFF;
            }
        }
        await stream.WriteAsync(RawPeerWire.PieceMessage(index, begin, block), token).ConfigureAwait(false);
        Interlocked.Increment(ref _blocks);
    }

    private void End(string reason, bool closedByRemote)
    {
        lock (_lock)
        {
            _endedAt ??= clock.Elapsed;
            _endReason ??= reason;
            _closedByRemote = closedByRemote;
        }
    }
}
