using System.Net;
using System.Net.Sockets;
using Microsoft.Extensions.Logging;
using P2PShare.Networking.Native;
using P2PShare.Protocol.Native;
using Polly;
using Polly.Retry;
using Polly.Timeout;

namespace P2PShare.Engine.Native;

internal sealed partial class NativeNode
{
    private readonly HashSet<string> _dialling = new(StringComparer.Ordinal);
    private readonly Dictionary<string, string> _idAtEndpoint = new(StringComparer.Ordinal);

    private void HandlePeers(NativePeers peers)
    {
        foreach (var peer in peers.Peers)
        {
            if (peer.Id == Id || !NativeHostParser.TryParse(peer.Host, out var address))
                continue;
            lock (_gate)
            {
                if (_sessions.ContainsKey(peer.Id))
                    continue;
            }
            if (!NativePeerId.ShouldDial(Id, peer.Id))
            {
                _logger.LogDebug("Learnt peer {PeerId} at {Host}:{Port}; its id is greater, so it dials us", peer.Id, address, peer.Port);
                continue;
            }
            _logger.LogInformation("Learnt peer {PeerId} at {Host}:{Port} by exchange; dialling it", peer.Id, address, peer.Port);
            StartDialling(new DnsEndPoint(address.ToString(), peer.Port), persistent: false, peer.Id);
        }
    }

    private void StartDialling(DnsEndPoint endpoint, bool persistent, string? knownId)
    {
        var key = $"{endpoint.Host}:{endpoint.Port}";
        lock (_gate)
        {
            if (_stop.IsCancellationRequested || !_dialling.Add(key))
                return;
            if (knownId is not null)
                _idAtEndpoint[key] = knownId;
        }
        Track(DialLoopAsync(endpoint, key, persistent, _stop.Token));
    }

    /// <summary>
    /// Keeps a connection to one address: connects with exponential back-off and jitter (Polly), runs the
    /// session, and reconnects when it drops. --peer addresses are retried for ever, exchanged ones a few times.
    /// </summary>
    private async Task DialLoopAsync(DnsEndPoint endpoint, string key, bool persistent, CancellationToken cancellationToken)
    {
        var pipeline = BuildConnectPipeline(endpoint, persistent);
        try
        {
            while (!cancellationToken.IsCancellationRequested)
            {
                bool alreadyConnected;
                lock (_gate)
                    alreadyConnected = _idAtEndpoint.TryGetValue(key, out var id) && _sessions.ContainsKey(id);
                if (alreadyConnected)
                {
                    // The peer dialled us (or we hold a duplicate): nothing to do until that connection ends.
                    if (!persistent)
                        return;
                    await Task.Delay(TimeSpan.FromSeconds(1), _time, cancellationToken).ConfigureAwait(false);
                    continue;
                }
                NativeConnection connection;
                try
                {
                    connection = await pipeline.ExecuteAsync(token => new ValueTask<NativeConnection>(ConnectAsync(endpoint, token)), cancellationToken).ConfigureAwait(false);
                }
                catch (Exception error) when (!cancellationToken.IsCancellationRequested && IsConnectFailure(error))
                {
                    _logger.LogInformation("Giving up on {Endpoint}: {Error}", key, error.Message);
                    return;
                }
                lock (_gate)
                    _idAtEndpoint[key] = connection.RemoteHandshake.Id;
                var accepted = await RunSessionAsync(connection).ConfigureAwait(false);
                if (!accepted && !persistent)
                    return;
                var pause = accepted ? _options.ReconnectDelay : _options.MaxReconnectDelay;
                await Task.Delay(pause, _time, cancellationToken).ConfigureAwait(false);
            }
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
        }
        finally
        {
            lock (_gate)
                _dialling.Remove(key);
        }
    }

    private ResiliencePipeline<NativeConnection> BuildConnectPipeline(DnsEndPoint endpoint, bool persistent)
    {
        var builder = new ResiliencePipelineBuilder<NativeConnection> { TimeProvider = _time };
        builder.AddRetry(new RetryStrategyOptions<NativeConnection>
        {
            ShouldHandle = new PredicateBuilder<NativeConnection>().Handle<Exception>(error => IsConnectFailure(error) && !_stop.IsCancellationRequested),
            BackoffType = DelayBackoffType.Exponential,
            UseJitter = true,
            Delay = _options.ReconnectDelay,
            MaxDelay = _options.MaxReconnectDelay,
            MaxRetryAttempts = persistent ? int.MaxValue : Math.Max(0, _options.ExchangedPeerAttempts - 1),
            OnRetry = args =>
            {
                _logger.LogDebug("Connecting to {Host}:{Port} failed ({Error}); retry {Attempt} in {Delay}",
                    endpoint.Host, endpoint.Port, args.Outcome.Exception?.Message, args.AttemptNumber + 1, args.RetryDelay);
                return ValueTask.CompletedTask;
            },
        });
        builder.AddTimeout(_options.ConnectTimeout + _options.ConnectTimeout);
        return builder.Build();
    }

    private static bool IsConnectFailure(Exception error) =>
        error is SocketException or IOException or TimeoutRejectedException or OperationCanceledException
            or System.Security.Authentication.AuthenticationException;

    private async Task<NativeConnection> ConnectAsync(DnsEndPoint endpoint, CancellationToken cancellationToken)
    {
        var socket = new Socket(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        try
        {
            using (var connectTimeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken))
            {
                connectTimeout.CancelAfter(_options.ConnectTimeout);
                await socket.ConnectAsync(endpoint, connectTimeout.Token).ConfigureAwait(false);
            }
            var remote = (IPEndPoint)socket.RemoteEndPoint!;
            var stream = new NetworkStream(socket, ownsSocket: true);
            try
            {
                return await NativeConnectionEstablisher.EstablishAsync(stream, remote, dialled: true, OwnHandshake(), _security,
                    _options.Limits, _options.ConnectTimeout, _logger, cancellationToken).ConfigureAwait(false);
            }
            catch
            {
                await stream.DisposeAsync().ConfigureAwait(false);
                throw;
            }
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }
}
