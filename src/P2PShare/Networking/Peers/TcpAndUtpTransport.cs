using System.Net;
using P2PShare.Networking.Utp;

namespace P2PShare.Networking.Peers;

/// <summary>
/// Dials a peer whose transport is unknown (a tracker, DHT or PEX address) over TCP and uTP in a staggered race,
/// as Happy Eyeballs (RFC 8305) does for address families: TCP starts at once, uTP after <see cref="UtpDelay"/> or
/// as soon as TCP fails, and the first connection that opens wins; the other attempt is cancelled (or closed, if it
/// opened too). TCP gets the head start because the kernel's TCP moves bulk data with less CPU than our uTP, while a
/// uTP-only peer costs only the delay. What carried a successful BitTorrent handshake is remembered per address, so a
/// redial goes straight to it; a TCP connection that opened but whose handshake failed (a peer that accepts TCP and
/// closes it, as a uTP-only libtorrent does) sends the next dial to uTP; a remembered transport that then fails is
/// forgotten. The memory is bounded (oldest out first): tracker, DHT and PEX peers are remote input.
/// </summary>
internal sealed class TcpAndUtpTransport : IPeerTransport
{
    private readonly UtpSocketManager _utp;
    private readonly IPeerTransport _tcp;
    private readonly int _capacity;
    private readonly Dictionary<IPEndPoint, bool> _usesUtp = [];
    private readonly Queue<IPEndPoint> _order = new();
    private long _utpWins;

    public TcpAndUtpTransport(UtpSocketManager utp, IPeerTransport tcp, TimeSpan utpDelay, int capacity = 8192)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(utpDelay, TimeSpan.Zero);
        ArgumentOutOfRangeException.ThrowIfLessThan(capacity, 1);
        _utp = utp;
        _tcp = tcp;
        UtpDelay = utpDelay;
        _capacity = capacity;
    }

    /// <summary>TCP's head start in a race.</summary>
    public TimeSpan UtpDelay { get; }

    /// <summary>Races that uTP won.</summary>
    public long UtpWins => Interlocked.Read(ref _utpWins);

    public string Name => "tcp/utp";

    public string NameOf(Stream stream) => stream is UtpStream ? UtpPeerTransport.TransportName : _tcp.Name;

    /// <summary>What worked last for <paramref name="endPoint"/>: true uTP, false TCP, null not known.</summary>
    public bool? Known(IPEndPoint endPoint)
    {
        lock (_usesUtp)
            return _usesUtp.TryGetValue(endPoint, out var utp) ? utp : null;
    }

    /// <summary>Records that <paramref name="endPoint"/> speaks uTP (a PEX flag, or it reached us over uTP).</summary>
    public void Remember(IPEndPoint endPoint, bool usesUtp)
    {
        lock (_usesUtp)
        {
            if (!_usesUtp.ContainsKey(endPoint))
            {
                while (_usesUtp.Count >= _capacity && _order.TryDequeue(out var oldest))
                    _usesUtp.Remove(oldest);
                _order.Enqueue(endPoint);
            }
            _usesUtp[endPoint] = usesUtp;
        }
    }

    /// <summary>
    /// A third party (a BEP 11 PEX flag) says <paramref name="endPoint"/> speaks uTP: unless we know better from a dial
    /// of our own, the next dial goes to uTP first, as libtorrent does for such a peer (if it fails, the memory is
    /// forgotten and the dial after it races as usual). True if the hint was taken.
    /// </summary>
    public bool HintUtp(IPEndPoint endPoint)
    {
        lock (_usesUtp)
        {
            if (_usesUtp.ContainsKey(endPoint))
                return false;
            Remember(endPoint, usesUtp: true);
            return true;
        }
    }

    private void Forget(IPEndPoint endPoint)
    {
        // The queue keeps the stale entry; it only makes an eviction a no-op later.
        lock (_usesUtp)
            _usesUtp.Remove(endPoint);
    }

    public async ValueTask<Stream> ConnectAsync(IPEndPoint endPoint, CancellationToken cancellationToken)
    {
        var known = Known(endPoint);
        if (known is not null)
        {
            try
            {
                return known.Value
                    ? await _utp.ConnectAsync(endPoint, cancellationToken).ConfigureAwait(false)
                    : await _tcp.ConnectAsync(endPoint, cancellationToken).ConfigureAwait(false);
            }
            catch (Exception) when (!cancellationToken.IsCancellationRequested)
            {
                Forget(endPoint);
                throw;
            }
        }
        var stream = await RaceAsync(endPoint, cancellationToken).ConfigureAwait(false);
        if (stream is UtpStream)
            Interlocked.Increment(ref _utpWins);
        return stream;
    }

    public bool OnHandshakeResult(IPEndPoint endPoint, Stream stream, bool succeeded)
    {
        var isUtp = stream is UtpStream;
        if (succeeded)
        {
            Remember(endPoint, isUtp);
            return false;
        }
        if (isUtp)
        {
            Forget(endPoint);
            return false;
        }
        // TCP opened but the handshake failed: uTP next, unless uTP is what failed before this TCP dial.
        var switched = Known(endPoint) is null;
        Remember(endPoint, usesUtp: true);
        return switched;
    }

    private async Task<Stream> RaceAsync(IPEndPoint endPoint, CancellationToken cancellationToken)
    {
        using var losers = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        using var tcpFailed = CancellationTokenSource.CreateLinkedTokenSource(losers.Token);
        var tcp = DialTcpAsync(endPoint, tcpFailed, losers.Token);
        var utp = DialUtpAfterAsync(endPoint, tcpFailed.Token, losers.Token);
        var first = await Task.WhenAny(tcp, utp).ConfigureAwait(false);
        var second = first == tcp ? utp : tcp;
        if (first.IsCompletedSuccessfully)
        {
            await losers.CancelAsync().ConfigureAwait(false);
            _ = CloseIfOpenedAsync(second);
            return first.Result;
        }
        _ = first.Exception; // observed: the second attempt decides now
        try
        {
            return await second.ConfigureAwait(false);
        }
        catch (Exception) when (!cancellationToken.IsCancellationRequested)
        {
            // Both failed: TCP's error says more (refused, unreachable) than a uTP SYN that went unanswered.
            await ((Task)tcp).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
            if (tcp.Exception?.InnerException is { } tcpError)
                throw tcpError;
            throw;
        }
    }

    private async Task<Stream> DialTcpAsync(IPEndPoint endPoint, CancellationTokenSource failed, CancellationToken cancellationToken)
    {
        try
        {
            return await _tcp.ConnectAsync(endPoint, cancellationToken).ConfigureAwait(false);
        }
        catch
        {
            // Lets uTP start at once instead of after its delay.
            await failed.CancelAsync().ConfigureAwait(false);
            throw;
        }
    }

    private async Task<Stream> DialUtpAfterAsync(IPEndPoint endPoint, CancellationToken tcpFailed, CancellationToken cancellationToken)
    {
        if (UtpDelay > TimeSpan.Zero)
        {
            try
            {
                await Task.Delay(UtpDelay, tcpFailed).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
            {
            }
        }
        cancellationToken.ThrowIfCancellationRequested();
        return await _utp.ConnectAsync(endPoint, cancellationToken).ConfigureAwait(false);
    }

    private static async Task CloseIfOpenedAsync(Task<Stream> attempt)
    {
        await ((Task)attempt).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        if (attempt.IsCompletedSuccessfully)
            await attempt.Result.DisposeAsync().ConfigureAwait(false);
    }
}
