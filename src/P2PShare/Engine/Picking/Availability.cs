using P2PShare.Protocol;

namespace P2PShare.Engine.Picking;

/// <summary>
/// How many connected peers have each piece, counted in one place. Pieces are kept ordered by that count
/// in buckets (all pieces with count 0, then 1, ...), so the rarest pieces are found without sorting and
/// one change moves one piece by one swap. Peers that have everything (a full bitfield or BEP 6 have-all)
/// can be counted once as a seed instead of once per piece. Pieces nobody needs ranked (we have them) can
/// be excluded: they keep their count but leave the ordering. Not thread-safe: used under the session's lock.
/// </summary>
internal sealed class Availability
{
    // _order holds every piece: [0, _start[_buckets]) ranked by count, bucket b at [_start[b], _start[b + 1]);
    // [_start[_buckets], PieceCount) the excluded pieces. _position is the inverse of _order.
    private readonly int[] _count;
    private readonly int[] _order;
    private readonly int[] _position;
    private readonly bool[] _excluded;
    private int[] _start;
    private int _buckets;

    public Availability(int pieceCount)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(pieceCount);
        _count = new int[pieceCount];
        _order = new int[pieceCount];
        _position = new int[pieceCount];
        _excluded = new bool[pieceCount];
        for (var i = 0; i < pieceCount; i++)
            _order[i] = _position[i] = i;
        _start = new int[8];
        _start[1] = pieceCount;
        _buckets = 1;
    }

    public int PieceCount => _count.Length;

    /// <summary>Peers counted as having every piece.</summary>
    public int Seeds { get; private set; }

    /// <summary>How many counted peers have the piece (seeds included).</summary>
    public int this[int piece] => _count[piece] + Seeds;

    /// <summary>Buckets of ranked pieces, from rarest; <see cref="Bucket"/> b holds the pieces with count b + <see cref="Seeds"/>.</summary>
    public int BucketCount => _buckets;

    /// <summary>The ranked pieces whose availability is <paramref name="bucket"/> + <see cref="Seeds"/>, in no particular order.</summary>
    public ReadOnlySpan<int> Bucket(int bucket) => _order.AsSpan(_start[bucket], _start[bucket + 1] - _start[bucket]);

    public bool IsExcluded(int piece) => _excluded[piece];

    /// <summary>Counts a peer's pieces. A peer is removed with the same bitfield it was counted with, as it grew by <see cref="AddHave"/>.</summary>
    public void AddPeer(Bitfield has)
    {
        foreach (var piece in has.SetIndices())
            Increment(piece);
    }

    public void RemovePeer(Bitfield has)
    {
        foreach (var piece in has.SetIndices())
            Decrement(piece);
    }

    public void AddHave(int piece) => Increment(piece);

    public void RemoveHave(int piece) => Decrement(piece);

    /// <summary>A peer with every piece (have-all), counted without touching each piece.</summary>
    public void AddSeed() => Seeds++;

    public void RemoveSeed()
    {
        if (Seeds > 0)
            Seeds--;
    }

    /// <summary>Takes a piece out of the ranking (we have it) or puts it back; its count is kept either way.</summary>
    public void SetExcluded(int piece, bool excluded)
    {
        if (_excluded[piece] == excluded)
            return;
        if (excluded)
        {
            // Bubble the piece up through every bucket from its own to the top, then past the ranked end.
            for (var b = _count[piece]; b < _buckets; b++)
                Swap(piece, --_start[b + 1]);
        }
        else
        {
            // Into the top bucket at the ranked end, then down to its own bucket.
            while (_count[piece] >= _buckets)
                AddBucket();
            Swap(piece, _start[_buckets]++);
            for (var b = _buckets - 1; b > _count[piece]; b--)
                Swap(piece, _start[b]++);
        }
        _excluded[piece] = excluded;
    }

    private void Increment(int piece)
    {
        var count = _count[piece]++;
        if (_excluded[piece])
            return;
        if (count + 1 == _buckets)
            AddBucket();
        // The last place of its bucket becomes the first of the next one.
        Swap(piece, --_start[count + 1]);
    }

    private void Decrement(int piece)
    {
        var count = _count[piece];
        if (count == 0)
            return;
        _count[piece] = count - 1;
        if (_excluded[piece])
            return;
        // The first place of its bucket becomes the last of the one below.
        Swap(piece, _start[count]++);
    }

    private void AddBucket()
    {
        if (_buckets + 2 > _start.Length)
            Array.Resize(ref _start, _start.Length * 2);
        _start[_buckets + 1] = _start[_buckets];
        _buckets++;
    }

    private void Swap(int piece, int position)
    {
        var from = _position[piece];
        var other = _order[position];
        _order[position] = piece;
        _order[from] = other;
        _position[piece] = position;
        _position[other] = from;
    }
}
