using System.Buffers.Binary;
using System.Net;
using System.Net.Sockets;
using Microsoft.Extensions.Logging;
using P2PShare.Networking.Udp;

namespace P2PShare.Networking.Trackers;

/// <summary>
/// The one UDP socket every UDP tracker (BEP 15) is spoken to through. In the engine that is the shared UDP port
/// (as libtorrent does), beside DHT and uTP: tracker replies start with a 32-bit action of 0 to 3, so their first
/// byte is zero, which neither a KRPC message ('d') nor a uTP header (version 1 in the low nibble) has. Replies are
/// matched to requests by transaction id and sender, so one socket serves every tracker of every torrent.
/// </summary>
internal sealed class UdpTrackerSocket : IDatagramHandler, IAsyncDisposable
{
    /// <summary>Requests waiting for a reply at once, all trackers together; BEP 15 exchanges are short-lived.</summary>
    public const int MaxPending = 1024;

    private readonly UdpPort _v4;
    private readonly ILogger _logger;
    private readonly Dictionary<int, Pending> _pending = [];
    private readonly List<(UdpPort Port, Task Loop)> _owned = [];
    private readonly CancellationTokenSource _lifetime = new();
    private readonly Lock _ownedLock = new();
    private UdpPort? _v6;
    private bool _disposed;
    private long _strays;

    private UdpTrackerSocket(UdpPort v4, bool owned, ILogger logger)
    {
        _v4 = v4;
        _logger = logger;
        v4.AddHandler(this);
        if (owned)
            _owned.Add((v4, v4.RunAsync(_lifetime.Token)));
    }

    /// <summary>
    /// Speaks to IPv4 trackers through <paramref name="port"/> (the engine's), registering itself as one of its
    /// handlers; IPv6 trackers get one socket of their own, opened when the first is asked.
    /// </summary>
    public static UdpTrackerSocket On(UdpPort port, ILogger logger) => new(port, owned: false, logger);

    /// <summary>Sockets of its own on ephemeral ports, for code that runs without an engine (the <c>announce</c> command, tests).</summary>
    public static UdpTrackerSocket Open(ILogger logger) => new(UdpPort.Bind(IPAddress.Any, 0, logger), owned: true, logger);

    /// <summary>Datagrams that looked like tracker replies but answered no request of ours (late, forged or duplicated).</summary>
    public long Strays => Interlocked.Read(ref _strays);

    /// <summary>
    /// Sends <paramref name="request"/> to <paramref name="to"/> and waits for the reply carrying
    /// <paramref name="transactionId"/> from that address, copied into <paramref name="reply"/>. Returns its length.
    /// Cancellation (the caller's timeout) ends the wait.
    /// </summary>
    public async Task<int> ExchangeAsync(IPEndPoint to, ReadOnlyMemory<byte> request, int transactionId, Memory<byte> reply, CancellationToken ct)
    {
        var port = to.AddressFamily == AddressFamily.InterNetworkV6 ? PortForIPv6() : _v4;
        var pending = new Pending(Normalize(to), reply);
        lock (_pending)
        {
            if (_pending.Count >= MaxPending)
                throw new TrackerUnreachableException($"too many UDP tracker requests in flight ({MaxPending})");
            if (!_pending.TryAdd(transactionId, pending))
                throw new InvalidOperationException("transaction id already in flight");
        }
        try
        {
            await using var registration = ct.Register(() => pending.Completion.TrySetCanceled(ct)).ConfigureAwait(false);
            await port.SendAsync(request, to, ct).ConfigureAwait(false);
            return await pending.Completion.Task.ConfigureAwait(false);
        }
        finally
        {
            lock (_pending)
                _pending.Remove(transactionId);
        }
    }

    private UdpPort PortForIPv6()
    {
        lock (_ownedLock)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            if (_v6 is not null)
                return _v6;
            UdpPort port;
            try
            {
                port = UdpPort.Bind(IPAddress.IPv6Any, 0, _logger);
            }
            catch (SocketException error)
            {
                throw new TrackerUnreachableException($"no IPv6 UDP socket for trackers: {error.SocketErrorCode}", error);
            }
            port.AddHandler(this);
            _owned.Add((port, port.RunAsync(_lifetime.Token)));
            return _v6 = port;
        }
    }

    public bool TryHandle(ReadOnlySpan<byte> datagram, IPEndPoint from)
    {
        if (!LooksLikeTrackerReply(datagram))
            return false;
        var transactionId = BinaryPrimitives.ReadInt32BigEndian(datagram[4..]);
        Pending? pending;
        lock (_pending)
        {
            if (!_pending.TryGetValue(transactionId, out pending) || !pending.From.Equals(Normalize(from)))
                pending = null;
            else
                _pending.Remove(transactionId);
        }
        if (pending is null)
        {
            Interlocked.Increment(ref _strays);
            _logger.LogTrace("UDP tracker reply from {From} answers no request of ours; dropped", from);
            return true;
        }
        // Copied here: the port reuses its receive buffer for the next datagram.
        var length = Math.Min(datagram.Length, pending.Reply.Length);
        datagram[..length].CopyTo(pending.Reply.Span);
        pending.Completion.TrySetResult(length);
        return true;
    }

    /// <summary>Action 0-3 (connect, announce, scrape, error) in network order: the first three bytes are zero.</summary>
    internal static bool LooksLikeTrackerReply(ReadOnlySpan<byte> datagram) =>
        datagram.Length >= 8 && BinaryPrimitives.ReadUInt32BigEndian(datagram) <= 3;

    private static IPEndPoint Normalize(IPEndPoint endPoint) =>
        endPoint.Address.IsIPv4MappedToIPv6 ? new IPEndPoint(endPoint.Address.MapToIPv4(), endPoint.Port) : endPoint;

    public async ValueTask DisposeAsync()
    {
        List<(UdpPort Port, Task Loop)> owned;
        lock (_ownedLock)
        {
            if (_disposed)
                return;
            _disposed = true;
            owned = [.. _owned];
        }
        await _lifetime.CancelAsync().ConfigureAwait(false);
        foreach (var (port, loop) in owned)
        {
            await port.DisposeAsync().ConfigureAwait(false);
            await loop.ConfigureAwait(false);
        }
        _lifetime.Dispose();
    }

    private sealed record Pending(IPEndPoint From, Memory<byte> Reply)
    {
        public TaskCompletionSource<int> Completion { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
    }
}
