using System.Buffers.Binary;
using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using P2PShare.Protocol.Tracker;

namespace P2PShare.Tests.Trackers;

/// <summary>A BEP 15 tracker on 127.0.0.1 that can drop its first datagrams or stay silent.</summary>
internal sealed class FakeUdpTracker : IAsyncDisposable
{
    private readonly UdpClient _socket;
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _loop;
    private int _received;

    public FakeUdpTracker(int dropFirst = 0, bool silent = false, byte[]? peers = null, int interval = 1800, string? error = null, IPAddress? address = null)
    {
        _socket = new UdpClient(new IPEndPoint(address ?? IPAddress.Loopback, 0));
        DropFirst = dropFirst;
        Silent = silent;
        Peers = peers ?? [];
        Interval = interval;
        Error = error;
        _loop = LoopAsync();
    }

    public int DropFirst { get; }

    public bool Silent { get; }

    public byte[] Peers { get; }

    public int Interval { get; }

    public string? Error { get; }

    public long ConnectionId { get; } = 0x0badc0ffee;

    public int Received => Volatile.Read(ref _received);

    /// <summary>Actions of the datagrams answered (0 connect, 1 announce, 2 scrape).</summary>
    public ConcurrentQueue<int> Answered { get; } = new();

    public ConcurrentQueue<byte[]> AnnounceRequests { get; } = new();

    /// <summary>Where each datagram came from (which socket the client spoke through).</summary>
    public ConcurrentQueue<IPEndPoint> Senders { get; } = new();

    public int Port => ((IPEndPoint)_socket.Client.LocalEndPoint!).Port;

    public string Url => new UriBuilder("udp", ((IPEndPoint)_socket.Client.LocalEndPoint!).Address.ToString(), Port, "/announce").Uri.ToString();

    private async Task LoopAsync()
    {
        while (!_stop.IsCancellationRequested)
        {
            UdpReceiveResult datagram;
            try
            {
                datagram = await _socket.ReceiveAsync(_stop.Token);
            }
            catch (Exception) when (_stop.IsCancellationRequested)
            {
                return;
            }
            catch (SocketException)
            {
                continue; // ICMP from a client that went away
            }
            Senders.Enqueue(datagram.RemoteEndPoint);
            var count = Interlocked.Increment(ref _received);
            if (Silent || count <= DropFirst || datagram.Buffer.Length < 16)
                continue;
            var answer = Answer(datagram.Buffer);
            if (answer is null)
                continue;
            await _socket.SendAsync(answer, datagram.RemoteEndPoint, _stop.Token);
        }
    }

    private byte[]? Answer(byte[] request)
    {
        var action = BinaryPrimitives.ReadInt32BigEndian(request.AsSpan(8));
        var transactionId = BinaryPrimitives.ReadInt32BigEndian(request.AsSpan(12));
        var connectionId = BinaryPrimitives.ReadInt64BigEndian(request);
        if (action != 0 && connectionId != ConnectionId)
            return Failure(transactionId, "bad connection id");
        switch (action)
        {
            case 0 when connectionId == UdpTrackerCodec.ProtocolId:
                Answered.Enqueue(0);
                return [.. UdpTrackerCodecTests.Ints(0, transactionId), .. Long(ConnectionId)];
            case 1 when request.Length >= 98:
                Answered.Enqueue(1);
                AnnounceRequests.Enqueue(request);
                if (Error is not null)
                    return Failure(transactionId, Error);
                return [.. UdpTrackerCodecTests.Ints(1, transactionId, Interval, 2, 3), .. Peers];
            case 2:
                Answered.Enqueue(2);
                return UdpTrackerCodecTests.Ints(2, transactionId, 4, 5, 6);
            default:
                return null;
        }
    }

    private static byte[] Failure(int transactionId, string message)
    {
        var buffer = new byte[512];
        return buffer[..UdpTrackerCodec.WriteErrorResponse(buffer, transactionId, message)];
    }

    private static byte[] Long(long value)
    {
        var bytes = new byte[8];
        BinaryPrimitives.WriteInt64BigEndian(bytes, value);
        return bytes;
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        _socket.Dispose();
        try
        {
            await _loop;
        }
        catch (ObjectDisposedException)
        {
        }
        _stop.Dispose();
    }
}
