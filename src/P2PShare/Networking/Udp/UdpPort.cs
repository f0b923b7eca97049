using System.Net;
using System.Net.Sockets;
using Microsoft.Extensions.Logging;

namespace P2PShare.Networking.Udp;

/// <summary>
/// The engine's one UDP socket, on the same port number as the TCP listener (as libtorrent does): DHT and uTP
/// share it, told apart by their first bytes (a bencoded KRPC message starts with 'd'; a uTP header's low nibble
/// is version 1). Each datagram is offered to the handlers in order of registration.
/// </summary>
internal sealed class UdpPort : IDatagramSender, IAsyncDisposable
{
    /// <summary>Larger than any datagram a peer should send (uTP packets stay near the path MTU; KRPC under 1.5 kB).</summary>
    private const int MaxDatagram = 64 * 1024;

    /// <summary>Asked of the kernel for the socket's receive queue (Linux grants up to net.core.rmem_max): a uTP burst must not overflow it.</summary>
    public const int ReceiveBufferBytes = 4 * 1024 * 1024;
    private readonly Socket _socket;
    private readonly ILogger _logger;
    private volatile IDatagramHandler[] _handlers = [];
    private long _unclaimed;

    private UdpPort(Socket socket, ILogger logger)
    {
        _socket = socket;
        _logger = logger;
        Port = ((IPEndPoint)socket.LocalEndPoint!).Port;
    }

    public int Port { get; }

    public bool ReportsDrains => true;

    /// <summary>Datagrams no handler recognised (counted, then dropped).</summary>
    public long Unclaimed => Interlocked.Read(ref _unclaimed);

    public static UdpPort Bind(IPAddress address, int port, ILogger logger)
    {
        var socket = new Socket(address.AddressFamily, SocketType.Dgram, ProtocolType.Udp);
        try
        {
            socket.Bind(new IPEndPoint(address, port));
            TryEnlargeReceiveBuffer(socket, logger);
            return new UdpPort(socket, logger);
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }

    private static void TryEnlargeReceiveBuffer(Socket socket, ILogger logger)
    {
        try
        {
            socket.ReceiveBufferSize = ReceiveBufferBytes;
        }
        catch (SocketException error)
        {
            logger.LogDebug("UDP receive buffer stays at {Bytes} bytes: {Error}", socket.ReceiveBufferSize, error.SocketErrorCode);
        }
    }

    public void AddHandler(IDatagramHandler handler)
    {
        lock (_socket)
            _handlers = [.. _handlers, handler];
    }

    public async ValueTask SendAsync(ReadOnlyMemory<byte> datagram, IPEndPoint to, CancellationToken cancellationToken)
    {
        try
        {
            await _socket.SendToAsync(datagram, SocketFlags.None, to, cancellationToken).ConfigureAwait(false);
        }
        catch (SocketException error)
        {
            // UDP is lossy by nature: a send that fails (ICMP unreachable, buffer full) is a lost datagram, not a fault.
            _logger.LogTrace("UDP send to {To} failed: {Error}", to, error.SocketErrorCode);
        }
    }

    /// <summary>Receives until cancelled, dispatching each datagram to the first handler that takes it.</summary>
    public async Task RunAsync(CancellationToken cancellationToken)
    {
        var buffer = GC.AllocateUninitializedArray<byte>(MaxDatagram, pinned: true);
        // The SocketAddress overload fills one reused address instead of allocating an endpoint per datagram.
        var from = new SocketAddress(_socket.AddressFamily);
        var endPoints = new SenderEndPoints();
        while (!cancellationToken.IsCancellationRequested)
        {
            int received;
            try
            {
                received = await _socket.ReceiveFromAsync(buffer, SocketFlags.None, from, cancellationToken).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                return;
            }
            catch (ObjectDisposedException)
            {
                return;
            }
            catch (SocketException error)
            {
                // Linux reports an earlier send's ICMP error on the next receive; the socket is still good.
                _logger.LogTrace("UDP receive: {Error}", error.SocketErrorCode);
                continue;
            }
            Dispatch(buffer.AsSpan(0, received), endPoints.For(from));
            if (_socket.Available == 0)
                NotifyDrained();
        }
    }

    private void NotifyDrained()
    {
        foreach (var handler in _handlers)
        {
            try
            {
                handler.OnReceiveQueueDrained();
            }
            catch (Exception error)
            {
                _logger.LogWarning(error, "UDP handler {Handler} failed after a burst", handler.GetType().Name);
            }
        }
    }

    internal void Dispatch(ReadOnlySpan<byte> datagram, IPEndPoint from)
    {
        foreach (var handler in _handlers)
        {
            try
            {
                if (handler.TryHandle(datagram, from))
                    return;
            }
            catch (Exception error)
            {
                // A handler's bug must not stop the port: every other protocol on it would go deaf.
                _logger.LogWarning(error, "UDP handler {Handler} failed on a datagram from {From}", handler.GetType().Name, from);
                return;
            }
        }
        Interlocked.Increment(ref _unclaimed);
    }

    public ValueTask DisposeAsync()
    {
        _socket.Dispose();
        return ValueTask.CompletedTask;
    }
}
