using System.Net;
using System.Net.Sockets;
using Microsoft.Extensions.Logging;

namespace P2PShare.Networking.Peers;

/// <summary>Accepts incoming peer connections on a TCP port and hands each accepted socket on.</summary>
internal sealed class PeerListener : IAsyncDisposable
{
    private readonly TcpListener _listener;
    private readonly ILogger _logger;

    private PeerListener(TcpListener listener, ILogger logger)
    {
        _listener = listener;
        _logger = logger;
    }

    public int Port => ((IPEndPoint)_listener.LocalEndpoint).Port;

    /// <summary>
    /// Listens on <paramref name="preferredPort"/>, or the next free port after it (as other clients do), or any free port
    /// when 0. On IPv6's any-address it takes IPv4 too (dual mode), or IPv4 alone where the machine has no IPv6.
    /// </summary>
    public static PeerListener Start(IPAddress address, int preferredPort, ILogger logger, int portsToTry = 50)
    {
        for (var attempt = 0; attempt < (preferredPort == 0 ? 1 : portsToTry); attempt++)
        {
            var port = preferredPort == 0 ? 0 : preferredPort + attempt;
            if (port > IPEndPoint.MaxPort)
                break;
            var listener = new TcpListener(address, port);
            try
            {
                if (address.Equals(IPAddress.IPv6Any))
                    listener.Server.DualMode = true;
                listener.Start(backlog: 128);
                return new PeerListener(listener, logger);
            }
            catch (SocketException error) when (error.SocketErrorCode == SocketError.AddressAlreadyInUse)
            {
                listener.Dispose();
            }
            catch (SocketException) when (address.Equals(IPAddress.IPv6Any))
            {
                listener.Dispose();
                return Start(IPAddress.Any, preferredPort, logger, portsToTry);
            }
        }
        throw new IOException($"no free TCP port from {preferredPort} to {preferredPort + portsToTry - 1} to listen for peers");
    }

    /// <summary>Accepts until cancelled; <paramref name="onAccepted"/> must return at once (it starts and tracks its own work).</summary>
    public async Task RunAsync(Func<Socket, CancellationToken, Task> onAccepted, CancellationToken cancellationToken)
    {
        while (!cancellationToken.IsCancellationRequested)
        {
            Socket socket;
            try
            {
                socket = await _listener.AcceptSocketAsync(cancellationToken).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                return;
            }
            catch (SocketException error)
            {
                _logger.LogDebug("Accept failed: {Error}", error.SocketErrorCode);
                continue;
            }
            _ = onAccepted(socket, cancellationToken);
        }
    }

    public ValueTask DisposeAsync()
    {
        _listener.Stop();
        _listener.Dispose();
        return ValueTask.CompletedTask;
    }
}
