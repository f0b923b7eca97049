using System.Net;

namespace P2PShare.Engine;

/// <summary>
/// Decides at accept time, before a byte is read, whether an incoming connection from an address is worth a handshake:
/// each address has a cap on handshakes in progress and a budget of failed ones (a token bucket: a wrong info-hash, a
/// broken handshake or silence each spend one token). An address that floods us with handshakes we cannot serve
/// spends its budget in a burst and is then closed at accept (no read, no MSE key exchange) until it earns tokens back.
/// Successful handshakes cost nothing. The table of addresses is bounded; idle entries are dropped first.
/// Pure: time comes from a <see cref="TimeProvider"/>. Thread-safe.
/// </summary>
internal sealed class InboundAddressLimiter
{
    private readonly object _gate = new();
    private readonly Dictionary<IPAddress, Entry> _entries = [];
    private readonly TimeProvider _time;
    private InboundAddressLimits _limits;
    private long _refused;

    public InboundAddressLimiter(InboundAddressLimits limits, TimeProvider time)
    {
        _limits = limits.Validate();
        _time = time;
    }

    private sealed class Entry
    {
        public int Pending;
        public double Tokens;
        public long UpdatedAt;
    }

    /// <summary>Connections refused at accept by this limiter.</summary>
    public long Refused => Interlocked.Read(ref _refused);

    public int TrackedAddresses
    {
        get { lock (_gate) return _entries.Count; }
    }

    public InboundAddressLimits Limits
    {
        get { lock (_gate) return _limits; }
    }

    public void SetLimits(InboundAddressLimits limits)
    {
        limits.Validate();
        lock (_gate)
            _limits = limits;
    }

    /// <summary>
    /// Takes a handshake slot for <paramref name="address"/>; false (refuse the connection now) when the address has too
    /// many handshakes in progress or has spent its failure budget. Each true must be followed by one <see cref="End"/>.
    /// </summary>
    public bool TryBegin(IPAddress address)
    {
        address = Normalize(address);
        lock (_gate)
        {
            var now = _time.GetTimestamp();
            if (!_entries.TryGetValue(address, out var entry))
            {
                if (_entries.Count >= _limits.MaxAddresses && !DropIdle(now))
                    return true; // Table full of busy addresses: not tracked; the engine-wide cap still bounds the work.
                entry = new Entry { Tokens = _limits.FailureBurst, UpdatedAt = now };
                _entries[address] = entry;
            }
            Refill(entry, now);
            if (entry.Pending >= _limits.MaxPendingPerAddress || entry.Tokens < 1)
            {
                Interlocked.Increment(ref _refused);
                return false;
            }
            entry.Pending++;
            return true;
        }
    }

    /// <summary>Ends a handshake begun with <see cref="TryBegin"/>; a failure spends one token of the address's budget.</summary>
    public void End(IPAddress address, bool succeeded)
    {
        address = Normalize(address);
        lock (_gate)
        {
            if (!_entries.TryGetValue(address, out var entry))
                return;
            var now = _time.GetTimestamp();
            Refill(entry, now);
            entry.Pending = Math.Max(0, entry.Pending - 1);
            if (!succeeded)
                entry.Tokens = Math.Max(0, entry.Tokens - 1);
        }
    }

    private void Refill(Entry entry, long now)
    {
        var seconds = _time.GetElapsedTime(entry.UpdatedAt, now).TotalSeconds;
        if (seconds > 0)
            entry.Tokens = Math.Min(_limits.FailureBurst, entry.Tokens + seconds * _limits.FailuresPerSecond);
        entry.UpdatedAt = now;
    }

    /// <summary>Drops every entry with nothing pending and a full budget (it would be made the same way again).</summary>
    private bool DropIdle(long now)
    {
        List<IPAddress>? idle = null;
        foreach (var (address, entry) in _entries)
        {
            Refill(entry, now);
            if (entry.Pending == 0 && entry.Tokens >= _limits.FailureBurst)
                (idle ??= []).Add(address);
        }
        if (idle is null)
            return false;
        foreach (var address in idle)
            _entries.Remove(address);
        return true;
    }

    private static IPAddress Normalize(IPAddress address) => address.IsIPv4MappedToIPv6 ? address.MapToIPv4() : address;
}
