using Microsoft.Win32.SafeHandles;

namespace P2PShare.Storage;

/// <summary>
/// Open file handles, kept open between piece writes and reads, at most <see cref="Capacity"/> of them (least recently
/// used closed first). A handle in use is leased: eviction only closes it when its last lease ends, so a concurrent
/// read or write never sees its handle closed under it.
/// </summary>
internal sealed class FileHandleCache : IDisposable
{
    private readonly object _gate = new();
    private readonly Dictionary<long, Entry> _entries = [];
    private readonly LinkedList<Entry> _recency = [];
    private bool _disposed;

    public FileHandleCache(int capacity)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(capacity);
        Capacity = capacity;
    }

    public int Capacity { get; }

    public int OpenCount
    {
        get
        {
            lock (_gate)
                return _entries.Count;
        }
    }

    /// <summary>
    /// A lease on the handle of <paramref name="key"/>, opened with <paramref name="open"/> when absent (or when only a
    /// read-only handle is cached and <paramref name="writable"/> is asked for). Dispose the lease after the I/O.
    /// </summary>
    public Lease Acquire(long key, bool writable, Func<bool, SafeFileHandle> open)
    {
        lock (_gate)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            if (_entries.TryGetValue(key, out var cached) && (cached.Writable || !writable))
            {
                _recency.Remove(cached.Node);
                _recency.AddFirst(cached.Node);
                cached.Leases++;
                return new Lease(this, cached);
            }
        }

        // Opening may block (and may create directories); do it outside the lock. Two threads racing to open the same
        // file both succeed; the loser's handle is simply closed.
        var handle = open(writable);
        var entry = new Entry(key, handle, writable) { Leases = 1 };
        List<Entry> toClose = [];
        lock (_gate)
        {
            if (_disposed)
            {
                handle.Dispose();
                throw new ObjectDisposedException(nameof(FileHandleCache));
            }
            if (_entries.TryGetValue(key, out var existing))
            {
                if (existing.Writable || !writable)
                {
                    toClose.Add(entry);
                    entry.Leases = 0;
                    existing.Leases++;
                    _recency.Remove(existing.Node);
                    _recency.AddFirst(existing.Node);
                    entry = existing;
                }
                else
                {
                    Detach(existing, toClose);
                }
            }
            if (!ReferenceEquals(entry, existing))
            {
                entry.Node = _recency.AddFirst(entry);
                _entries[key] = entry;
                while (_entries.Count > Capacity && _recency.Last is { } oldest && !ReferenceEquals(oldest.Value, entry))
                    Detach(oldest.Value, toClose);
            }
        }
        foreach (var closing in toClose)
            if (closing.Leases == 0)
                closing.Handle.Dispose();
        return new Lease(this, entry);
    }

    /// <summary>Closes the handle of <paramref name="key"/> (after its leases end), e.g. after an error on it.</summary>
    public void Evict(long key)
    {
        List<Entry> toClose = [];
        lock (_gate)
        {
            if (_entries.TryGetValue(key, out var entry))
                Detach(entry, toClose);
        }
        foreach (var closing in toClose)
            closing.Handle.Dispose();
    }

    public void Dispose()
    {
        List<Entry> toClose = [];
        lock (_gate)
        {
            if (_disposed)
                return;
            _disposed = true;
            foreach (var entry in _entries.Values.ToList())
                Detach(entry, toClose);
        }
        foreach (var closing in toClose)
            closing.Handle.Dispose();
    }

    /// <summary>Removes an entry from the cache; queues it for closing now when unleased, else its last lease closes it.</summary>
    private void Detach(Entry entry, List<Entry> toClose)
    {
        _entries.Remove(entry.Key);
        _recency.Remove(entry.Node);
        entry.Detached = true;
        if (entry.Leases == 0)
            toClose.Add(entry);
    }

    private void Release(Entry entry)
    {
        bool close;
        lock (_gate)
        {
            entry.Leases--;
            close = entry.Detached && entry.Leases == 0;
        }
        if (close)
            entry.Handle.Dispose();
    }

    internal sealed class Entry(long key, SafeFileHandle handle, bool writable)
    {
        public long Key { get; } = key;
        public SafeFileHandle Handle { get; } = handle;
        public bool Writable { get; } = writable;
        public int Leases { get; set; }
        public bool Detached { get; set; }
        public LinkedListNode<Entry> Node { get; set; } = null!;
    }

    public readonly struct Lease : IDisposable
    {
        private readonly FileHandleCache _owner;
        private readonly Entry _entry;

        internal Lease(FileHandleCache owner, Entry entry)
        {
            _owner = owner;
            _entry = entry;
        }

        public SafeFileHandle Handle => _entry.Handle;

        public void Dispose() => _owner.Release(_entry);
    }
}
