using System.Net;
using P2PShare.Networking.Utp;

namespace P2PShare.Networking.Peers;

/// <summary>
/// libtorrent's way of dialling a peer whose transport is unknown: uTP first, and TCP when the uTP SYN is not
/// answered within <see cref="UtpAnswerTimeout"/> (or is reset). Which one worked is remembered per address, so a
/// redial goes straight to it; a remembered transport that then fails is forgotten. The memory is bounded (oldest
/// out first), since tracker, DHT and PEX peers are remote input.
/// </summary>
public sealed class UtpThenTcpTransport : IPeerTransport
{
    private readonly UtpSocketManager _utp;
    private readonly IPeerTransport _tcp;
    private readonly int _capacity;
    private readonly Dictionary<IPEndPoint, bool> _usesUtp = [];
    private readonly Queue<IPEndPoint> _order = new();
    private long _fallbacks;

    public UtpThenTcpTransport(UtpSocketManager utp, IPeerTransport tcp, TimeSpan utpAnswerTimeout, int capacity = 8192)
    {
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(utpAnswerTimeout, TimeSpan.Zero);
        ArgumentOutOfRangeException.ThrowIfLessThan(capacity, 1);
        _utp = utp;
        _tcp = tcp;
        UtpAnswerTimeout = utpAnswerTimeout;
        _capacity = capacity;
    }

    public TimeSpan UtpAnswerTimeout { get; }

    /// <summary>Dials that fell back to TCP after uTP got no answer.</summary>
    public long Fallbacks => Interlocked.Read(ref _fallbacks);

    public string Name => "utp/tcp";

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
        using (var answer = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken))
        {
            answer.CancelAfter(UtpAnswerTimeout);
            try
            {
                var stream = await _utp.ConnectAsync(endPoint, answer.Token).ConfigureAwait(false);
                Remember(endPoint, usesUtp: true);
                return stream;
            }
            catch (Exception error) when (!cancellationToken.IsCancellationRequested && error is OperationCanceledException or TimeoutException or IOException)
            {
                Interlocked.Increment(ref _fallbacks);
            }
        }
        var tcp = await _tcp.ConnectAsync(endPoint, cancellationToken).ConfigureAwait(false);
        Remember(endPoint, usesUtp: false);
        return tcp;
    }
}
