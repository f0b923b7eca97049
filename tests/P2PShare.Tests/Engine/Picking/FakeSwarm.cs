using P2PShare.Engine.Picking;
using P2PShare.Protocol;

namespace P2PShare.Tests.Engine.Picking;

/// <summary>Bitfields of made-up peers and a pick context over them, for testing pickers alone.</summary>
internal sealed class FakeSwarm
{
    public FakeSwarm(int pieceCount)
    {
        PieceCount = pieceCount;
        WeHave = new Bitfield(pieceCount);
        Busy = new bool[pieceCount];
        Priorities = new PiecePriorities(pieceCount);
        Availability = new Availability(pieceCount);
        Context = new PickContext(WeHave, Busy, Priorities);
    }

    public int PieceCount { get; }

    public Bitfield WeHave { get; }

    public bool[] Busy { get; }

    public PiecePriorities Priorities { get; }

    public Availability Availability { get; }

    public PickContext Context { get; }

    public static Bitfield Pieces(int length, params int[] set)
    {
        var bits = new Bitfield(length);
        foreach (var i in set)
            bits[i] = true;
        return bits;
    }

    public Bitfield All() => Pieces(PieceCount, Enumerable.Range(0, PieceCount).ToArray());

    /// <summary>Adds a peer with these pieces to the availability counts and returns its bitfield.</summary>
    public Bitfield AddPeer(params int[] pieces)
    {
        var has = Pieces(PieceCount, pieces);
        Availability.AddPeer(has);
        return has;
    }

    /// <summary>Asks <paramref name="picker"/> what to start from a peer with <paramref name="peerHas"/>.</summary>
    public int Pick(IPicker picker, Bitfield peerHas)
    {
        Context.PeerHas = peerHas;
        Context.Level = null;
        return picker.Pick(Context);
    }
}
