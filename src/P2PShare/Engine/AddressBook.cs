namespace P2PShare.Engine;

/// <summary>
/// The addresses a dialer knows and their <see cref="DialState"/>, for the BitTorrent dialer (<see cref="PeerDialer"/>)
/// and native mode alike: a bounded table, a back-off with jitter between dials of one address, a failed address given
/// up, and a given-up address that is named again retried after a back-off, until it has failed
/// <see cref="MaxDialFailures"/> times. Not thread-safe: the owner holds its lock around every call.
/// </summary>
internal sealed class AddressBook<TAddress, TEntry>(int maxKnown, int maxDialFailures, TimeProvider time, Random random)
    where TAddress : notnull
    where TEntry : DialState
{
    private readonly Dictionary<TAddress, TEntry> _entries = [];

    /// <summary>Most addresses kept: whoever names addresses cannot grow the table beyond it.</summary>
    public int MaxKnown { get; } = maxKnown;

    /// <summary>Failed dials after which an address is not retried even when named again.</summary>
    public int MaxDialFailures { get; } = maxDialFailures;

    public int Count => _entries.Count;

    public IEnumerable<TAddress> Addresses => _entries.Keys;

    public IEnumerable<TEntry> Entries => _entries.Values;

    /// <summary>Now, in <see cref="TimeProvider.GetTimestamp"/> units.</summary>
    public long Now => time.GetTimestamp();

    /// <summary>
    /// The wait before dial number <paramref name="step"/> + 1 of an address: <paramref name="first"/> doubled
    /// <paramref name="step"/> times, times a jitter factor in [0.5, 1.5), at most <paramref name="max"/>.
    /// </summary>
    public static TimeSpan Backoff(int step, TimeSpan first, TimeSpan max, Random random)
    {
        var seconds = first.TotalSeconds * Math.Pow(2, Math.Clamp(step, 0, 40)) * (0.5 + random.NextDouble());
        return seconds >= max.TotalSeconds ? max : TimeSpan.FromSeconds(seconds);
    }

    public TEntry? Find(TAddress address) => _entries.GetValueOrDefault(address);

    /// <summary>
    /// Learns an address (or learns it again). A known address given up after failed dials is retried after a back-off
    /// that doubles with each failure (from one second), unless it failed <see cref="MaxDialFailures"/> times. Returns the
    /// entry, or null when the table is full.
    /// </summary>
    public TEntry? Learn(TAddress address, Func<TAddress, TEntry> create)
    {
        if (_entries.TryGetValue(address, out var known))
        {
            if (known.GivenUp && known.DialFailures > 0 && known.DialFailures < MaxDialFailures && !known.IsConnected && !known.IsConnecting)
            {
                known.GivenUp = false;
                var delay = Backoff(known.DialFailures, TimeSpan.FromSeconds(1), TimeSpan.MaxValue, random);
                known.NotBeforeTicks = Math.Max(known.NotBeforeTicks, known.LastFailureTicks + Ticks(delay));
            }
            return known;
        }
        if (_entries.Count >= MaxKnown)
            return null;
        var entry = create(address);
        _entries[address] = entry;
        return entry;
    }

    /// <summary>Addresses that may be dialled now.</summary>
    public IEnumerable<TEntry> Due()
    {
        var now = Now;
        return _entries.Values.Where(e => e.IsIdle && now >= e.NotBeforeTicks);
    }

    /// <summary>Some address is neither connected, being dialled, nor given up.</summary>
    public bool HasIdle => _entries.Values.Any(e => e.IsIdle);

    public void DialStarted(TEntry entry) => entry.IsConnecting = true;

    /// <summary>A dial failed: counted; the address is given up (<paramref name="retryAfter"/> null) or dialled again after that wait.</summary>
    public void DialFailed(TEntry entry, TimeSpan? retryAfter)
    {
        entry.IsConnecting = false;
        entry.DialFailures++;
        entry.LastFailureTicks = Now;
        if (retryAfter is { } wait)
            entry.NotBeforeTicks = entry.LastFailureTicks + Ticks(wait);
        else
            entry.GivenUp = true;
    }

    public void DialSucceeded(TEntry entry)
    {
        entry.IsConnecting = false;
        entry.DialFailures = 0;
    }

    /// <summary>The address may be dialled again, not before <paramref name="wait"/> from now.</summary>
    public void RetryAfter(TEntry entry, TimeSpan wait)
    {
        entry.GivenUp = false;
        entry.NotBeforeTicks = Now + Ticks(wait);
    }

    /// <summary>How long until the entry may be dialled (zero when it may be now).</summary>
    public TimeSpan WaitFor(TEntry entry) =>
        TimeSpan.FromSeconds(Math.Max(0, entry.NotBeforeTicks - Now) / (double)time.TimestampFrequency);

    private long Ticks(TimeSpan wait) =>
        wait >= TimeSpan.FromDays(365) ? long.MaxValue / 4 : (long)(wait.TotalSeconds * time.TimestampFrequency);
}
