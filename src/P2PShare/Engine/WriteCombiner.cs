namespace P2PShare.Engine;

/// <summary>
/// Gathers verified small pieces into aligned windows of the torrent's data so they reach the disk in one vectored
/// write instead of one write per piece. The kernel sizes page-cache folios by the write: 16 KiB writes cost this
/// machine 0.4-0.65 s of system time per GiB, 1 MiB writes 0.13-0.15 s, whether the 1 MiB is one buffer or 64
/// (pwritev). A window is handed back to be written when every piece in it is there or already stored, when it has
/// waited <see cref="Deadline"/> (so a slow swarm still announces its pieces promptly), or when more than
/// <see cref="MaxWindows"/> are open (the oldest goes first), so what it holds is bounded. Thread-safe.
/// </summary>
/// <typeparam name="T">What is held per piece (the piece's download, with its buffer).</typeparam>
internal sealed class WriteCombiner<T>
{
    private readonly Lock _lock = new();
    private readonly Dictionary<int, Window> _open = [];
    private readonly int _pieceCount;
    private readonly TimeProvider _time;

    /// <param name="pieceCount">Pieces in the torrent.</param>
    /// <param name="piecesPerWindow">Pieces per window, 2 to 64 (windows start at multiples of it, so writes stay aligned).</param>
    /// <param name="maxWindows">Windows open at once, at most.</param>
    /// <param name="deadline">How long a window may wait for its missing pieces.</param>
    public WriteCombiner(int pieceCount, int piecesPerWindow, int maxWindows, TimeSpan deadline, TimeProvider time)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(pieceCount);
        ArgumentOutOfRangeException.ThrowIfLessThan(piecesPerWindow, 2);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(piecesPerWindow, 64); // One bit per piece of a window.
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(maxWindows);
        _pieceCount = pieceCount;
        PiecesPerWindow = piecesPerWindow;
        MaxWindows = maxWindows;
        Deadline = deadline;
        _time = time;
    }

    public int PiecesPerWindow { get; }

    public int MaxWindows { get; }

    public TimeSpan Deadline { get; }

    /// <summary>Pieces held now.</summary>
    public int HeldPieces
    {
        get
        {
            lock (_lock)
                return _open.Values.Sum(w => w.Pieces.Count);
        }
    }

    /// <summary>Windows open now.</summary>
    public int OpenWindows
    {
        get
        {
            lock (_lock)
                return _open.Count;
        }
    }

    /// <summary>
    /// Holds a verified piece. Returns the windows to write now, each in piece order: the piece's own window when
    /// that is complete (every piece of it held, or <paramref name="isStored"/>), and the oldest window when there
    /// are too many. Empty when the piece waits.
    /// </summary>
    /// <param name="isStored">Whether a piece is already on disk (need not be exact: a stale answer only makes a window wait for its deadline).</param>
    public IReadOnlyList<IReadOnlyList<(int Index, T Item)>> Add(int index, T item, Func<int, bool> isStored)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(index);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(index, _pieceCount);
        List<IReadOnlyList<(int, T)>>? ready = null;
        lock (_lock)
        {
            var key = index / PiecesPerWindow;
            if (!_open.TryGetValue(key, out var window))
            {
                window = new Window(key, _time.GetTimestamp());
                _open.Add(key, window);
            }
            var bit = 1UL << (index - key * PiecesPerWindow);
            if ((window.Held & bit) != 0)
                throw new InvalidOperationException($"piece {index} is held already");
            window.Held |= bit;
            window.Pieces.Add((index, item));
            if (IsComplete(window, isStored))
                (ready ??= []).Add(Close(window));
            while (_open.Count > MaxWindows)
                (ready ??= []).Add(Close(_open.Values.MinBy(w => w.Opened)!));
        }
        return ready ?? (IReadOnlyList<IReadOnlyList<(int, T)>>)[];
    }

    /// <summary>The windows that have waited their deadline, closed; empty if none.</summary>
    public IReadOnlyList<IReadOnlyList<(int Index, T Item)>> TakeExpired()
    {
        lock (_lock)
        {
            var now = _time.GetTimestamp();
            var expired = _open.Values.Where(w => _time.GetElapsedTime(w.Opened, now) >= Deadline).ToList();
            return [.. expired.Select(Close)];
        }
    }

    /// <summary>Every open window, closed (stopping).</summary>
    public IReadOnlyList<IReadOnlyList<(int Index, T Item)>> TakeAll()
    {
        lock (_lock)
            return [.. _open.Values.ToList().Select(Close)];
    }

    private bool IsComplete(Window window, Func<int, bool> isStored)
    {
        var first = window.Key * PiecesPerWindow;
        var end = Math.Min(first + PiecesPerWindow, _pieceCount);
        if (window.Pieces.Count == end - first)
            return true;
        for (var i = first; i < end; i++)
        {
            if ((window.Held & (1UL << (i - first))) == 0 && !isStored(i))
                return false;
        }
        return true;
    }

    private List<(int Index, T Item)> Close(Window window)
    {
        _open.Remove(window.Key);
        window.Pieces.Sort(static (a, b) => a.Index.CompareTo(b.Index));
        return window.Pieces;
    }

    private sealed class Window(int key, long opened)
    {
        public int Key { get; } = key;

        public long Opened { get; } = opened;

        /// <summary>Bit i: piece Key * PiecesPerWindow + i is held.</summary>
        public ulong Held { get; set; }

        public List<(int Index, T Item)> Pieces { get; } = [];
    }
}
