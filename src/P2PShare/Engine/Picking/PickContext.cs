using P2PShare.Protocol;

namespace P2PShare.Engine.Picking;

/// <summary>
/// One question to the picker chain: which new piece to start from this peer. A candidate is a piece the
/// peer has, we do not, nobody is fetching, that is wanted and, while a <see cref="PriorityPicker"/> narrows
/// the search, at the current <see cref="Level"/>. Reused from pick to pick under the session's lock.
/// </summary>
internal sealed class PickContext(Bitfield weHave, bool[] busy, PiecePriorities priorities)
{
    public Bitfield PeerHas { get; set; } = new(busy.Length);

    public Bitfield WeHave { get; set; } = weHave;

    public PiecePriorities Priorities { get; set; } = priorities;

    /// <summary>Only pieces at this priority count as candidates; null: any wanted piece.</summary>
    public PiecePriority? Level { get; set; }

    public int PieceCount => busy.Length;

    public bool IsBusy(int piece) => busy[piece];

    public bool IsCandidate(int piece)
    {
        if (!PeerHas[piece] || WeHave[piece] || busy[piece])
            return false;
        var priority = Priorities[piece];
        return Level is { } level ? priority == level : priority != PiecePriority.Skip;
    }
}
