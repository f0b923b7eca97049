using System.Buffers.Binary;
using System.Net;
using System.Net.Sockets;

namespace P2PShare.Tests.Interop.V2;

/// <summary>
/// A raw BitTorrent peer for one single-file v2 torrent that lies about the first 16 KiB block of every piece it is
/// asked for (it sends those bytes inverted) and rejects (BEP 6) every other block, so each piece it touches is finished
/// by another peer: a failed piece with two senders, of which only this one is wrong. Hash requests get a hash reject.
/// </summary>
internal sealed class CorruptingV2Peer : IAsyncDisposable
{
    private readonly TcpListener _listener = new(IPAddress.Loopback, 0);
    private readonly CancellationTokenSource _stop = new();
    private readonly byte[] _content;
    private readonly byte[] _infoHash;
    private readonly int _pieceLength;
    private readonly Task _loop;

    public CorruptingV2Peer(byte[] content, byte[] truncatedInfoHash, int pieceLength)
    {
        _content = content;
        _infoHash = truncatedInfoHash;
        _pieceLength = pieceLength;
        _listener.Start();
        _loop = AcceptAsync(_stop.Token);
    }

    public int Port => ((IPEndPoint)_listener.LocalEndpoint).Port;

    /// <summary>Corrupt blocks sent.</summary>
    public int CorruptBlocks { get; private set; }

    private async Task AcceptAsync(CancellationToken cancellationToken)
    {
        try
        {
            while (true)
            {
                var client = await _listener.AcceptTcpClientAsync(cancellationToken);
                _ = ServeAsync(client, cancellationToken);
            }
        }
        catch (Exception) when (cancellationToken.IsCancellationRequested)
        {
        }
    }

    private async Task ServeAsync(TcpClient client, CancellationToken cancellationToken)
    {
        using var _ = client;
        try
        {
            var stream = client.GetStream();
            var handshake = new byte[68];
            await stream.ReadExactlyAsync(handshake, cancellationToken);
            var reply = new byte[68];
            handshake.AsSpan(0, 20).CopyTo(reply);
            reply[27] = 0x04 | 0x10; // Fast extension and v2.
            _infoHash.CopyTo(reply, 28);
            "-XX0001-corruptpeer1"u8.CopyTo(reply.AsSpan(48));
            await stream.WriteAsync(reply, cancellationToken);
            await stream.WriteAsync(new byte[] { 0, 0, 0, 1, 0x0E, 0, 0, 0, 1, 1 }, cancellationToken); // have all, unchoke
            var lengthBytes = new byte[4];
            while (true)
            {
                await stream.ReadExactlyAsync(lengthBytes, cancellationToken);
                var length = BinaryPrimitives.ReadInt32BigEndian(lengthBytes);
                if (length is < 0 or > 1 << 20)
                    return;
                var body = new byte[length];
                await stream.ReadExactlyAsync(body, cancellationToken);
                if (length == 0)
                    continue;
                if (body[0] == 6 && length == 13)
                    await AnswerRequestAsync(stream, body, cancellationToken);
                else if (body[0] == 21 && length == 49)
                {
                    body[0] = 23;
                    await stream.WriteAsync(lengthBytes, cancellationToken);
                    await stream.WriteAsync(body, cancellationToken);
                }
            }
        }
        catch (Exception) when (cancellationToken.IsCancellationRequested)
        {
        }
        catch (IOException)
        {
        }
    }

    private async Task AnswerRequestAsync(NetworkStream stream, byte[] request, CancellationToken cancellationToken)
    {
        var index = BinaryPrimitives.ReadInt32BigEndian(request.AsSpan(1));
        var begin = BinaryPrimitives.ReadInt32BigEndian(request.AsSpan(5));
        var length = BinaryPrimitives.ReadInt32BigEndian(request.AsSpan(9));
        if (begin != 0)
        {
            var reject = new byte[17];
            BinaryPrimitives.WriteInt32BigEndian(reject, 13);
            reject[4] = 0x10;
            request.AsSpan(1, 12).CopyTo(reject.AsSpan(5));
            await stream.WriteAsync(reject, cancellationToken);
            return;
        }
        var frame = new byte[13 + length];
        BinaryPrimitives.WriteInt32BigEndian(frame, 9 + length);
        frame[4] = 7;
        request.AsSpan(1, 8).CopyTo(frame.AsSpan(5));
        var offset = (long)index * _pieceLength;
        var available = (int)Math.Max(0, Math.Min(length, _content.Length - offset));
        _content.AsSpan((int)offset, available).CopyTo(frame.AsSpan(13));
        for (var i = 13; i < frame.Length; i++)
            frame[i] ^= 0xFF;
        CorruptBlocks++;
        await stream.WriteAsync(frame, cancellationToken);
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        _listener.Stop();
        await _loop.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        _stop.Dispose();
    }
}
