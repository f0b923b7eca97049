using System.Collections;

namespace P2PShare.Engine;

/// <summary>
/// The blocks we asked one peer for, oldest first. Peers answer in request order, so nearly every block received is
/// the head: a ring buffer removes it in O(1) where a list moved the whole queue (hundreds of entries at a fast peer)
/// once per block. Lookups take the piece and block as values, so the per-block path allocates no closure.
/// The scheduler bounds the length (its hard queue cap); the buffer only grows to that.
/// </summary>
internal sealed class RequestQueue : IReadOnlyList<BlockRequest>
{
    private BlockRequest[] _items = new BlockRequest[16];
    private int _head;

    public int Count { get; private set; }

    public BlockRequest this[int index]
    {
        get
        {
            if ((uint)index >= (uint)Count)
                throw new ArgumentOutOfRangeException(nameof(index));
            return _items[Slot(index)];
        }
    }

    public void Add(BlockRequest request)
    {
        if (Count == _items.Length)
            Grow();
        _items[Slot(Count)] = request;
        Count++;
    }

    /// <summary>The position of the request for the block, or -1. The head is checked first: it is the usual answer.</summary>
    public int IndexOf(int piece, int block)
    {
        for (var i = 0; i < Count; i++)
        {
            ref readonly var item = ref _items[Slot(i)];
            if (item.Piece == piece && item.Block == block)
                return i;
        }
        return -1;
    }

    public bool Contains(int piece, int block) => IndexOf(piece, block) >= 0;

    public int FindIndex(Predicate<BlockRequest> match)
    {
        for (var i = 0; i < Count; i++)
            if (match(_items[Slot(i)]))
                return i;
        return -1;
    }

    public bool Exists(Predicate<BlockRequest> match) => FindIndex(match) >= 0;

    /// <summary>Removes the entry at <paramref name="index"/>, moving whichever side of it is shorter.</summary>
    public void RemoveAt(int index)
    {
        if ((uint)index >= (uint)Count)
            throw new ArgumentOutOfRangeException(nameof(index));
        if (index < Count / 2)
        {
            for (var i = index; i > 0; i--)
                _items[Slot(i)] = _items[Slot(i - 1)];
            _items[_head] = default;
            _head = (_head + 1) & (_items.Length - 1);
        }
        else
        {
            for (var i = index; i < Count - 1; i++)
                _items[Slot(i)] = _items[Slot(i + 1)];
            _items[Slot(Count - 1)] = default;
        }
        Count--;
    }

    public void Clear()
    {
        Array.Clear(_items);
        _head = 0;
        Count = 0;
    }

    public Enumerator GetEnumerator() => new(this);

    IEnumerator<BlockRequest> IEnumerable<BlockRequest>.GetEnumerator() => GetEnumerator();

    IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();

    // The capacity is a power of two, so a position wraps with a mask.
    private int Slot(int index) => (_head + index) & (_items.Length - 1);

    private void Grow()
    {
        var larger = new BlockRequest[_items.Length * 2];
        for (var i = 0; i < Count; i++)
            larger[i] = _items[Slot(i)];
        _items = larger;
        _head = 0;
    }

    /// <summary>Walks the queue oldest first; the queue must not change meanwhile.</summary>
    public struct Enumerator(RequestQueue queue) : IEnumerator<BlockRequest>
    {
        private int _index = -1;

        public readonly BlockRequest Current => queue[_index];

        readonly object IEnumerator.Current => Current;

        public bool MoveNext() => ++_index < queue.Count;

        public void Reset() => _index = -1;

        public readonly void Dispose() { }
    }
}
