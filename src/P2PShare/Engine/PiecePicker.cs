using P2PShare.Engine.Picking;
using P2PShare.Protocol;

namespace P2PShare.Engine;

/// <summary>
/// Chooses which new piece to start from a peer, through a chain of small pickers (Engine/Picking), each one idea:
/// deadlines first (streaming), then by file priority (skipped pieces never), in order when sequential, random for the first few pieces
/// (something to trade quickly), then rarest-first by availability among connected peers. Owns the availability
/// counts and which pieces are being fetched. Pure: no I/O; the clock and the random source are injected.
/// Not thread-safe: used under the torrent session's lock.
/// </summary>
internal sealed class PiecePicker
{
    private readonly bool[] _busy;
    private readonly PickContext _context;
    private readonly DeadlinePicker _deadlines;
    private readonly SequentialPicker _sequential;
    private readonly IPicker _chain;

    public PiecePicker(int pieceCount, Random random, int randomFirstPieces = 4, TimeProvider? time = null)
    {
        _busy = new bool[pieceCount];
        Counts = new Availability(pieceCount);
        Priorities = new PiecePriorities(pieceCount);
        _context = new PickContext(new Bitfield(pieceCount), _busy, Priorities);
        RandomFirstPieces = randomFirstPieces;
        _sequential = new SequentialPicker(
            new RandomFirstPicker(random, randomFirstPieces,
                new RarestFirstPicker(Counts, random)));
        _deadlines = new DeadlinePicker(time ?? TimeProvider.System, new PriorityPicker(_sequential));
        _chain = _deadlines;
    }

    public int RandomFirstPieces { get; }

    /// <summary>How many connected peers have each piece.</summary>
    public Availability Counts { get; }

    /// <summary>Wanted pieces and their priorities (all normal unless set).</summary>
    public PiecePriorities Priorities { get; private set; }

    public int Availability(int piece) => Counts[piece];

    public void AddPeer(Bitfield peerHas) => Counts.AddPeer(peerHas);

    public void RemovePeer(Bitfield peerHas) => Counts.RemovePeer(peerHas);

    public void PeerHas(int piece) => Counts.AddHave(piece);

    /// <summary>A peer that has every piece (BEP 6 have-all), counted once; removed with <see cref="RemoveSeed"/>.</summary>
    public void AddSeed() => Counts.AddSeed();

    public void RemoveSeed() => Counts.RemoveSeed();

    /// <summary>We have the piece now: it leaves the rarest-first ranking (its count is kept).</summary>
    public void MarkHave(int piece) => Counts.SetExcluded(piece, true);

    /// <summary>Replaces the wanted pieces and their priorities (a file selection).</summary>
    public void SetPriorities(PiecePriorities priorities)
    {
        if (priorities.PieceCount != _busy.Length)
            throw new ArgumentException($"priorities for {priorities.PieceCount} pieces, the torrent has {_busy.Length}", nameof(priorities));
        Priorities = priorities;
        _context.Priorities = priorities;
    }

    /// <summary>Streaming: the piece is wanted within <paramref name="within"/>; pieces with deadlines are started first, earliest first.</summary>
    public void SetDeadline(int piece, TimeSpan within, object? owner = null) => _deadlines.SetDeadline(piece, within, owner);

    public void ClearDeadline(int piece, object? owner = null) => _deadlines.ClearDeadline(piece, owner);

    public bool HasDeadline(int piece) => _deadlines.HasDeadline(piece);

    /// <summary>How long until the piece is due (negative: late); null without a deadline.</summary>
    public TimeSpan? TimeLeft(int piece) => _deadlines.TimeLeft(piece);

    /// <summary>The earliest-due piece with a deadline that the peer has and nobody fetches; null when none.</summary>
    public int? PickDeadline(Bitfield peerHas, Bitfield weHave)
    {
        _context.PeerHas = peerHas;
        _context.WeHave = weHave;
        _context.Level = null;
        var piece = _deadlines.PickDue(_context);
        return piece < 0 ? null : piece;
    }

    /// <summary>Pieces with a deadline not yet had.</summary>
    public int DeadlineCount => _deadlines.Count;

    /// <summary>Sequential download: <paramref name="early"/> pieces first, then in index order (within each priority level).</summary>
    public void SetSequential(bool enabled, IReadOnlyList<int> early)
    {
        _sequential.Enabled = enabled;
        _sequential.EarlyPieces = early;
    }

    public bool Sequential => _sequential.Enabled;

    /// <summary>Marks a piece as started or being verified, so it is not picked again; or frees it.</summary>
    public void SetBusy(int piece, bool busy) => _busy[piece] = busy;

    public bool IsBusy(int piece) => _busy[piece];

    /// <summary>A wanted piece the peer has and we neither have nor are fetching; null when there is none.</summary>
    public int? PickNew(Bitfield peerHas, Bitfield weHave)
    {
        _context.PeerHas = peerHas;
        _context.WeHave = weHave;
        _context.Level = null;
        var piece = _chain.Pick(_context);
        return piece < 0 ? null : piece;
    }
}
