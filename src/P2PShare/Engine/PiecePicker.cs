using P2PShare.Protocol;

namespace P2PShare.Engine;

/// <summary>
/// Chooses which new piece to start from a peer: random for the first few (to get something to
/// trade quickly), then rarest-first by availability among connected peers. Pure: no I/O, no clock.
/// </summary>
public sealed class PiecePicker
{
    private readonly int[] _availability;
    private readonly Random _random;
    private readonly bool[] _busy;

    public PiecePicker(int pieceCount, Random random, int randomFirstPieces = 4)
    {
        _availability = new int[pieceCount];
        _busy = new bool[pieceCount];
        _random = random;
        RandomFirstPieces = randomFirstPieces;
    }

    public int RandomFirstPieces { get; }

    public int Availability(int piece) => _availability[piece];

    public void AddPeer(Bitfield peerHas)
    {
        for (var i = 0; i < peerHas.Length; i++)
            if (peerHas[i])
                _availability[i]++;
    }

    public void RemovePeer(Bitfield peerHas)
    {
        for (var i = 0; i < peerHas.Length; i++)
            if (peerHas[i] && _availability[i] > 0)
                _availability[i]--;
    }

    public void PeerHas(int piece) => _availability[piece]++;

    /// <summary>Marks a piece as started or being verified, so it is not picked again; or frees it.</summary>
    public void SetBusy(int piece, bool busy) => _busy[piece] = busy;

    public bool IsBusy(int piece) => _busy[piece];

    /// <summary>A piece the peer has and we neither have nor are fetching; null when there is none.</summary>
    public int? PickNew(Bitfield peerHas, Bitfield weHave)
    {
        var randomPhase = weHave.CountSet < RandomFirstPieces;
        var best = -1;
        var bestAvailability = int.MaxValue;
        var ties = 0;
        for (var i = 0; i < peerHas.Length; i++)
        {
            if (!peerHas[i] || weHave[i] || _busy[i])
                continue;
            var availability = randomPhase ? 0 : _availability[i];
            if (availability < bestAvailability)
            {
                best = i;
                bestAvailability = availability;
                ties = 1;
            }
            else if (availability == bestAvailability && _random.Next(++ties) == 0)
            {
                // Reservoir sampling: each tied candidate is equally likely.
                best = i;
            }
        }
        return best < 0 ? null : best;
    }
}
