using P2PShare.Protocol;

namespace P2PShare.Engine;

/// <summary>
/// Time-critical pieces (streaming deadlines): their blocks are requested before any other, including blocks of
/// ordinary pieces already started. Requests already sent are not cancelled for them (tried: cancelling queued requests
/// stalled downloads from a rate-capped libtorrent seeder), so a deadline can wait behind one queue's worth of data.
/// </summary>
internal sealed partial class RequestScheduler
{
    /// <summary>A block of a started deadline piece, or the first block of a new one (earliest due first).</summary>
    private bool TryDeadlineBlock(Bitfield has, out PieceDownload piece, out int block)
    {
        PieceDownload? best = null;
        block = -1;
        foreach (var candidate in _active.Values)
        {
            if (!has[candidate.Index] || !_picker.HasDeadline(candidate.Index) || (best is not null && best.Index < candidate.Index))
                continue;
            var free = FirstUnrequested(candidate);
            if (free < 0)
                continue;
            best = candidate;
            block = free;
        }
        if (best is not null)
        {
            piece = best;
            return true;
        }
        if (_picker.PickDeadline(has, _have) is { } index)
        {
            piece = new PieceDownload(index, _torrent.PieceSize(index));
            _active.Add(index, piece);
            _picker.SetBusy(index, true);
            InEndgame = false;
            block = 0;
            return true;
        }
        piece = null!;
        return false;
    }
}
