using System.Buffers;
using System.IO.Pipelines;
using System.Runtime.CompilerServices;
using System.Security.Cryptography;
using P2PShare.Metainfo;
using P2PShare.Protocol;
using P2PShare.Protocol.Wire;

namespace P2PShare.Tests.Utp;

/// <summary>
/// The least BitTorrent a uTP interop test needs, over any Stream and through our Protocol/Wire codecs: download a
/// whole torrent from a seeder (handshake, interested, requests once unchoked, every piece checked against its SHA-1),
/// or serve one to a leecher (handshake, full bitfield, unchoke, answer requests).
/// </summary>
internal static class StreamPeerWire
{
    private const int BlockLength = 16 * 1024;
    private const int RequestsInFlight = 64;

    public static async Task<byte[]> DownloadAsync(Stream stream, Torrent torrent, CancellationToken ct)
    {
        await SendHandshakeAsync(stream, torrent, ct);
        var reader = PipeReader.Create(stream);
        await ReadHandshakeAsync(reader, torrent, ct);
        var simple = new byte[5];
        MessageWriter.WriteSimple(simple, MessageId.Interested);
        await stream.WriteAsync(simple, ct);

        var data = new byte[torrent.TotalLength];
        var blocks = new List<(int Index, int Begin, int Length)>();
        for (var piece = 0; piece < torrent.PieceCount; piece++)
        {
            for (var begin = 0; begin < torrent.PieceSize(piece); begin += BlockLength)
                blocks.Add((piece, begin, Math.Min(BlockLength, torrent.PieceSize(piece) - begin)));
        }
        var nextRequest = 0;
        var received = 0;
        var unchoked = false;
        var limits = new FrameLimits(torrent.PieceCount);
        var request = new byte[MessageWriter.RequestLength * RequestsInFlight];
        while (received < blocks.Count)
        {
            var result = await reader.ReadAsync(ct);
            var buffer = result.Buffer;
            while (MessageReader.TryRead(ref buffer, limits, out var message))
            {
                switch (message.Id)
                {
                    case MessageId.Unchoke:
                        unchoked = true;
                        break;
                    case MessageId.Choke:
                        unchoked = false;
                        nextRequest = received;   // a choke drops our requests; ask again from the first missing block
                        break;
                    case MessageId.Piece:
                        message.Payload.CopyTo(data.AsSpan((int)torrent.PieceOffset(message.Index) + message.Begin, message.Length));
                        received++;
                        break;
                }
            }
            reader.AdvanceTo(buffer.Start, buffer.End);
            if (result.IsCompleted && received < blocks.Count)
                throw new EndOfStreamException($"the seeder closed after {received} of {blocks.Count} blocks");
            if (unchoked)
            {
                var length = 0;
                while (nextRequest < blocks.Count && nextRequest - received < RequestsInFlight)
                {
                    var (index, begin, blockLength) = blocks[nextRequest++];
                    length += MessageWriter.WriteRequest(request.AsSpan(length), index, begin, blockLength);
                }
                if (length > 0)
                    await stream.WriteAsync(request.AsMemory(0, length), ct);
            }
        }
        for (var piece = 0; piece < torrent.PieceCount; piece++)
        {
            var hash = SHA1.HashData(data.AsSpan((int)torrent.PieceOffset(piece), torrent.PieceSize(piece)));
            if (!hash.AsSpan().SequenceEqual(torrent.PieceHash(piece)))
                throw new InvalidDataException($"piece {piece} failed its SHA-1 check");
        }
        return data;
    }

    /// <summary>Serves <paramref name="data"/> until the leecher closes or <paramref name="ct"/> ends; counts payload bytes in <paramref name="sent"/>.</summary>
    public static async Task SeedAsync(Stream stream, Torrent torrent, byte[] data, StrongBox<long> sent, CancellationToken ct)
    {
        var reader = PipeReader.Create(stream);
        await ReadHandshakeAsync(reader, torrent, ct);
        await SendHandshakeAsync(stream, torrent, ct);
        var bits = new Bitfield(torrent.PieceCount);
        for (var i = 0; i < torrent.PieceCount; i++)
            bits[i] = true;
        var opening = new byte[MessageWriter.BitfieldLength(bits.Bytes) + 5];
        var length = MessageWriter.WriteBitfield(opening, bits.Bytes);
        length += MessageWriter.WriteSimple(opening.AsSpan(length), MessageId.Unchoke);
        await stream.WriteAsync(opening.AsMemory(0, length), ct);

        var limits = new FrameLimits(torrent.PieceCount);
        var header = new byte[MessageWriter.PieceHeaderLength];
        while (true)
        {
            ReadResult result;
            try
            {
                result = await reader.ReadAsync(ct);
            }
            catch (IOException)
            {
                return;   // the leecher reset the connection once complete
            }
            var buffer = result.Buffer;
            var requests = new List<(int Index, int Begin, int Length)>();
            while (MessageReader.TryRead(ref buffer, limits, out var message))
            {
                if (message.Id == MessageId.Request)
                    requests.Add((message.Index, message.Begin, message.Length));
            }
            reader.AdvanceTo(buffer.Start, buffer.End);
            foreach (var (index, begin, blockLength) in requests)
            {
                MessageWriter.WritePieceHeader(header, index, begin, blockLength);
                await stream.WriteAsync(header, ct);
                await stream.WriteAsync(data.AsMemory((int)torrent.PieceOffset(index) + begin, blockLength), ct);
                Interlocked.Add(ref sent.Value, blockLength);
            }
            if (result.IsCompleted)
                return;
        }
    }

    private static async Task SendHandshakeAsync(Stream stream, Torrent torrent, CancellationToken ct)
    {
        var bytes = new byte[Handshake.Size];
        new Handshake(0, torrent.InfoHash, PeerId.CreateOurs(new Random(7))).WriteTo(bytes);
        await stream.WriteAsync(bytes, ct);
    }

    private static async Task ReadHandshakeAsync(PipeReader reader, Torrent torrent, CancellationToken ct)
    {
        while (true)
        {
            var result = await reader.ReadAsync(ct);
            if (result.Buffer.Length >= Handshake.Size)
            {
                var handshake = Handshake.Parse(result.Buffer.Slice(0, Handshake.Size).ToArray());
                reader.AdvanceTo(result.Buffer.GetPosition(Handshake.Size));
                if (!handshake.InfoHash.Equals(torrent.InfoHash))
                    throw new InvalidDataException("handshake for another torrent");
                return;
            }
            if (result.IsCompleted)
                throw new EndOfStreamException($"connection closed after {result.Buffer.Length} bytes of the handshake");
            reader.AdvanceTo(result.Buffer.Start, result.Buffer.End);
        }
    }
}
