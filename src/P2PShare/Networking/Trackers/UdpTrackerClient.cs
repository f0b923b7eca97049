using System.Buffers;
using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using P2PShare.Metainfo;
using P2PShare.Protocol.Tracker;

namespace P2PShare.Networking.Trackers;

/// <summary>
/// A UDP tracker (BEP 15). Requests to one tracker are serialised; they go through the engine's one
/// <see cref="UdpTrackerSocket"/> (or one of the client's own when none is given). Retransmission follows
/// the protocol's own schedule (base·2^n, n up to <see cref="TrackerOptions.UdpMaxRetransmissions"/>),
/// which is why no generic retry wraps this client.
/// </summary>
internal sealed class UdpTrackerClient : ITrackerClient, IAsyncDisposable
{
    private readonly TrackerOptions _options;
    private readonly uint _key;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly SemaphoreSlim _gate = new(1, 1);
    private readonly UdpTrackerSocket? _shared;
    private UdpTrackerSocket? _owned;
    private IPEndPoint? _endPoint;
    private long _connectionId;
    private DateTimeOffset _connectionIdExpires = DateTimeOffset.MinValue;
    private bool _disposed;

    public UdpTrackerClient(Uri uri, TrackerOptions options, uint key, TimeProvider time, ILogger? logger = null, UdpTrackerSocket? socket = null)
    {
        _shared = socket;
        if (uri.Scheme != "udp" || uri.Port <= 0)
            throw new ArgumentException($"not a UDP tracker with a port: {uri}", nameof(uri));
        Uri = uri;
        _options = options;
        _key = key;
        _time = time;
        _logger = logger ?? NullLogger.Instance;
    }

    public Uri Uri { get; }

    /// <summary>Datagrams sent so far (tests observe retransmission through it).</summary>
    public int PacketsSent { get; private set; }

    public async Task<AnnounceResponse> AnnounceAsync(AnnounceRequest request, CancellationToken ct)
    {
        var parameters = request.ToParameters(_key, trackerId: null);
        parameters.Validate();
        var reply = await ExchangeAsync(
            (buffer, connectionId, transactionId) => UdpTrackerCodec.WriteAnnounceRequest(buffer, connectionId, transactionId, parameters),
            (packet, transactionId, addressLength) => UdpTrackerCodec.ReadAnnounceResponse(packet, transactionId, addressLength),
            ct).ConfigureAwait(false);
        return new AnnounceResponse(
            reply.IntervalSeconds is { } interval ? TimeSpan.FromSeconds(interval) : _options.DefaultInterval,
            null,
            reply.Peers,
            reply.Complete,
            reply.Incomplete,
            null);
    }

    public async Task<ScrapeResponse> ScrapeAsync(InfoHash infoHash, CancellationToken ct)
    {
        var stats = await ExchangeAsync(
            (buffer, connectionId, transactionId) => UdpTrackerCodec.WriteScrapeRequest(buffer, connectionId, transactionId, infoHash),
            (packet, transactionId, _) => UdpTrackerCodec.ReadScrapeResponse(packet, transactionId),
            ct).ConfigureAwait(false);
        return new ScrapeResponse(stats.Seeders, stats.Completed, stats.Leechers);
    }

    private delegate int RequestWriter(Span<byte> buffer, long connectionId, int transactionId);

    private delegate T ResponseReader<out T>(ReadOnlySpan<byte> packet, int transactionId, int addressLength);

    private async Task<T> ExchangeAsync<T>(RequestWriter write, ResponseReader<T> read, CancellationToken ct)
    {
        await _gate.WaitAsync(ct).ConfigureAwait(false);
        var buffer = ArrayPool<byte>.Shared.Rent(UdpTrackerCodec.MaxPacketLength);
        try
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            var socket = _shared ?? (_owned ??= UdpTrackerSocket.Open(_logger));
            var to = await GetEndPointAsync(ct).ConfigureAwait(false);
            // BEP 15: a tracker reached over IPv6 answers with 18-byte peers.
            var addressLength = to.AddressFamily == AddressFamily.InterNetworkV6 ? 16 : 4;
            for (var attempt = 0; attempt <= _options.UdpMaxRetransmissions; attempt++)
            {
                var timeout = _options.UdpBaseTimeout * Math.Pow(2, attempt);
                try
                {
                    if (_time.GetUtcNow() >= _connectionIdExpires)
                        await ConnectAsync(socket, to, buffer, timeout, ct).ConfigureAwait(false);
                    var transactionId = NewTransactionId();
                    var length = write(buffer, _connectionId, transactionId);
                    var answer = await SendAndReceiveAsync(socket, to, buffer, length, transactionId, timeout, ct).ConfigureAwait(false);
                    try
                    {
                        return read(buffer.AsSpan(0, answer), transactionId, addressLength);
                    }
                    catch (TrackerFailureException)
                    {
                        // An error may mean our connection id is no longer accepted: get a fresh one next time.
                        _connectionIdExpires = DateTimeOffset.MinValue;
                        throw;
                    }
                }
                catch (TimeoutException)
                {
                    _logger.LogDebug("UDP tracker {Tracker}: no answer within {Timeout}, attempt {Attempt}", Uri, timeout, attempt + 1);
                }
            }
            throw new TrackerUnreachableException($"no answer from UDP tracker after {_options.UdpMaxRetransmissions + 1} attempts");
        }
        catch (SocketException error)
        {
            throw new TrackerUnreachableException($"UDP tracker unreachable: {error.SocketErrorCode}", error);
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
            _gate.Release();
        }
    }

    private async Task ConnectAsync(UdpTrackerSocket socket, IPEndPoint to, byte[] buffer, TimeSpan timeout, CancellationToken ct)
    {
        var transactionId = NewTransactionId();
        var length = UdpTrackerCodec.WriteConnectRequest(buffer, transactionId);
        var answer = await SendAndReceiveAsync(socket, to, buffer, length, transactionId, timeout, ct).ConfigureAwait(false);
        _connectionId = UdpTrackerCodec.ReadConnectResponse(buffer.AsSpan(0, answer), transactionId);
        _connectionIdExpires = _time.GetUtcNow() + _options.UdpConnectionIdLifetime;
    }

    /// <summary>Sends the request and waits for the datagram carrying its transaction id from the tracker.</summary>
    private async Task<int> SendAndReceiveAsync(UdpTrackerSocket socket, IPEndPoint to, byte[] buffer, int length, int transactionId, TimeSpan timeout, CancellationToken ct)
    {
        using var timer = new CancellationTokenSource(timeout, _time);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(ct, timer.Token);
        PacketsSent++;
        try
        {
            // One buffer for both ways: the reply to this transaction id cannot arrive before the request has gone.
            return await socket.ExchangeAsync(to, buffer.AsMemory(0, length), transactionId, buffer, linked.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (timer.IsCancellationRequested && !ct.IsCancellationRequested)
        {
            throw new TimeoutException();
        }
    }

    private async Task<IPEndPoint> GetEndPointAsync(CancellationToken ct)
    {
        if (_endPoint is not null)
            return _endPoint;
        IPAddress[] addresses;
        try
        {
            addresses = IPAddress.TryParse(Uri.IdnHost, out var literal)
                ? [literal]
                : await Dns.GetHostAddressesAsync(Uri.IdnHost, ct).ConfigureAwait(false);
        }
        catch (SocketException error)
        {
            throw new TrackerUnreachableException($"cannot resolve {Uri.IdnHost}: {error.SocketErrorCode}", error);
        }
        var address = addresses.FirstOrDefault(a => a.AddressFamily == AddressFamily.InterNetwork)
            ?? addresses.FirstOrDefault()
            ?? throw new TrackerUnreachableException($"{Uri.IdnHost} has no address");
        return _endPoint = new IPEndPoint(address, Uri.Port);
    }

    private static int NewTransactionId() => RandomNumberGenerator.GetInt32(int.MinValue, int.MaxValue);

    public async ValueTask DisposeAsync()
    {
        _disposed = true;
        // Only a socket of our own is closed; the engine's serves every other tracker too.
        if (_owned is not null)
            await _owned.DisposeAsync().ConfigureAwait(false);
    }
}
