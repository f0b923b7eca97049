using System.Net;
using System.Net.Sockets;

namespace P2PShare.Tests.Utp;

/// <summary>
/// A UDP relay on 127.0.0.1 in front of one server: whoever sends to <see cref="EndPoint"/> is the client, its
/// datagrams go to the server and the server's back to it (both see only the relay). Each datagram is dropped with
/// probability <c>lossRate</c>, or held back and sent after the next one in the same direction with probability
/// <c>reorderRate</c> (seeded: reproducible decisions).
/// </summary>
internal sealed class LossyUdpRelay : IAsyncDisposable
{
    private readonly Socket _socket = new(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
    private readonly IPEndPoint _server;
    private readonly Random _random;
    private readonly double _lossRate;
    private readonly double _reorderRate;
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _loop;
    private readonly byte[]?[] _held = new byte[2][];
    private IPEndPoint? _client;
    private long _forwarded;
    private long _dropped;
    private long _reordered;

    public LossyUdpRelay(IPEndPoint server, double lossRate, double reorderRate, int seed)
    {
        _server = server;
        _random = new Random(seed);
        _lossRate = lossRate;
        _reorderRate = reorderRate;
        _socket.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        _socket.ReceiveBufferSize = 4 * 1024 * 1024;
        EndPoint = (IPEndPoint)_socket.LocalEndPoint!;
        _loop = RunAsync(_stop.Token);
    }

    public IPEndPoint EndPoint { get; }

    public long Forwarded => Interlocked.Read(ref _forwarded);

    public long Dropped => Interlocked.Read(ref _dropped);

    public long Reordered => Interlocked.Read(ref _reordered);

    public override string ToString() => $"relay: {Forwarded} forwarded, {Dropped} dropped, {Reordered} reordered";

    private async Task RunAsync(CancellationToken ct)
    {
        var buffer = new byte[65536];
        EndPoint any = new IPEndPoint(IPAddress.Any, 0);
        while (!ct.IsCancellationRequested)
        {
            SocketReceiveFromResult received;
            try
            {
                received = await _socket.ReceiveFromAsync(buffer, SocketFlags.None, any, ct);
            }
            catch (SocketException)
            {
                continue; // an ICMP error from an earlier send
            }
            catch (Exception) when (ct.IsCancellationRequested)
            {
                return;
            }
            var from = (IPEndPoint)received.RemoteEndPoint;
            var toServer = !from.Equals(_server);
            if (toServer)
                _client = from;
            var to = toServer ? _server : _client;
            if (to is null)
                continue;
            var datagram = buffer.AsSpan(0, received.ReceivedBytes).ToArray();
            var direction = toServer ? 0 : 1;
            var roll = _random.NextDouble();
            if (roll < _lossRate)
            {
                Interlocked.Increment(ref _dropped);
                continue;
            }
            if (roll < _lossRate + _reorderRate && _held[direction] is null)
            {
                _held[direction] = datagram;
                Interlocked.Increment(ref _reordered);
                continue;
            }
            await SendAsync(datagram, to, ct);
            if (_held[direction] is { } late)
            {
                _held[direction] = null;
                await SendAsync(late, to, ct);
            }
        }
    }

    private async Task SendAsync(byte[] datagram, IPEndPoint to, CancellationToken ct)
    {
        try
        {
            await _socket.SendToAsync(datagram, SocketFlags.None, to, ct);
            Interlocked.Increment(ref _forwarded);
        }
        catch (SocketException)
        {
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        _socket.Dispose();
        try
        {
            await _loop;
        }
        catch (OperationCanceledException)
        {
        }
        _stop.Dispose();
    }
}
