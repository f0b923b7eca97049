using System.Net;
using System.Net.Sockets;
using Microsoft.Extensions.Logging;
using P2PShare.Networking.Native;
using P2PShare.Networking.Peers;
using P2PShare.Protocol.Native;

namespace P2PShare.Engine.Native;

/// <summary>
/// The engine's listener for the native JSON protocol (docs/hybrid-node.md), beside the BitTorrent one: it reads a
/// newcomer's handshake (within a timeout, at most <see cref="MaxPendingHandshakes"/> at once), finds the torrent whose
/// file it names, answers with that torrent's handshake and hands the connection over. One node id per process.
/// </summary>
internal sealed class NativeGateway : IAsyncDisposable
{
    private readonly PeerListener _listener;
    private readonly Func<IEnumerable<INativePeerSink>> _sinks;
    private readonly TimeSpan _handshakeTimeout;
    private readonly ILogger _logger;
    private readonly CancellationTokenSource _lifetime = new();
    private readonly BackgroundTasks _tasks;
    private readonly NativePendingHandshakes _pending = new(MaxPendingHandshakes);

    private NativeGateway(PeerListener listener, Func<IEnumerable<INativePeerSink>> sinks, TimeSpan handshakeTimeout, ILogger logger)
    {
        _listener = listener;
        _sinks = sinks;
        _handshakeTimeout = handshakeTimeout;
        _logger = logger;
        _tasks = new BackgroundTasks(logger);
    }

    public const int MaxPendingHandshakes = NativePendingHandshakes.DefaultMax;

    /// <summary>16 hex characters, new for every run: this process's id among native nodes.</summary>
    public string NodeId { get; } = NativePeerId.NewId();

    public int Port => _listener.Port;

    public NativeCodecLimits Limits { get; } = NativeCodecLimits.Default;

    /// <summary>Listens on <paramref name="port"/> (the next free one when taken; 0: any) and starts accepting.</summary>
    public static NativeGateway Start(IPAddress address, int port, Func<IEnumerable<INativePeerSink>> sinks, TimeSpan handshakeTimeout, ILogger logger)
    {
        var listener = PeerListener.Start(address, port, logger);
        var gateway = new NativeGateway(listener, sinks, handshakeTimeout, logger);
        gateway._tasks.Track(listener.RunAsync(gateway.OnAccepted, gateway._lifetime.Token));
        logger.LogInformation("Native protocol node {Id} accepting on port {Port}", gateway.NodeId, gateway.Port);
        return gateway;
    }

    private Task OnAccepted(Socket socket, CancellationToken cancellationToken)
    {
        if (!_pending.TryEnter())
        {
            _logger.LogDebug("Incoming native connection refused: {Max} handshakes pending already", MaxPendingHandshakes);
            socket.Dispose();
            return Task.CompletedTask;
        }
        return _tasks.Track(HandshakeAsync(socket, cancellationToken));
    }

    private async Task HandshakeAsync(Socket socket, CancellationToken cancellationToken)
    {
        NetworkStream? stream = null;
        try
        {
            socket.NoDelay = true;
            var remote = (IPEndPoint)socket.RemoteEndPoint!;
            stream = new NetworkStream(socket, ownsSocket: true);
            INativePeerSink? chosen = null;
            var connection = await NativeConnectionEstablisher.EstablishAsync(stream, remote, dialled: false, async (theirs, token) =>
            {
                if (theirs is null || theirs.Id == NodeId)
                    return null;
                chosen = _sinks().Select(s => (Sink: s, Score: s.NativeMatch(theirs))).Where(m => m.Score > 0)
                    .OrderByDescending(m => m.Score).Select(m => m.Sink).FirstOrDefault();
                return chosen is null ? null : await chosen.NativeHandshakeForAsync(theirs, NodeId, Port, token).ConfigureAwait(false);
            }, NativeSecurity.None, Limits, _handshakeTimeout, _logger, cancellationToken).ConfigureAwait(false);
            _logger.LogDebug("Native peer {Id} at {Remote} connected", connection.RemoteHandshake.Id, remote);
            chosen!.AttachNative(connection);
        }
        catch (Exception error)
        {
            if (stream is not null)
                await stream.DisposeAsync().ConfigureAwait(false);
            else
                socket.Dispose();
            if (!cancellationToken.IsCancellationRequested)
                _logger.LogDebug("Incoming native connection dropped: {Reason}", error is OperationCanceledException ? "no handshake in time" : error.Message);
        }
        finally
        {
            _pending.Exit();
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (_lifetime.IsCancellationRequested)
            return;
        await _lifetime.CancelAsync().ConfigureAwait(false);
        await _listener.DisposeAsync().ConfigureAwait(false);
        await _tasks.WhenAllAsync(TimeSpan.FromSeconds(5)).ConfigureAwait(false);
        _lifetime.Dispose();
    }
}
