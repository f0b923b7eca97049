using Microsoft.Extensions.Logging;
using P2PShare.Metainfo;

namespace P2PShare.Engine;

/// <summary>
/// Pieces of a v2 torrent started from a magnet that complete before their file's piece layer is known: they cannot be
/// judged yet, so each is held (its buffer and its senders; the picker keeps it busy, so it is not asked for again) until
/// the layer arrives, then verified as if it had just completed: stored if it matches, judged like any failed piece if
/// not. Held pieces are bounded by <see cref="MaxAwaitingLayerBytes"/>; one that does not fit is dropped without blame
/// and fetched again later, as all were before.
/// </summary>
internal sealed partial class PieceVerifier
{
    /// <summary>Default for the bytes of pieces held until their layer arrives.</summary>
    public const long DefaultMaxAwaitingLayerBytes = 16L * 1024 * 1024;

    // Under the session's lock.
    private readonly Dictionary<int, PieceDownload> _awaitingLayer = [];
    private long _awaitingLayerBytes;

    /// <summary>Most bytes of pieces held until their file's piece layer arrives (at least one piece is always held).</summary>
    public long MaxAwaitingLayerBytes { get; init; } = DefaultMaxAwaitingLayerBytes;

    /// <summary>Pieces held until their file's piece layer arrives. Read under the lock.</summary>
    public int AwaitingLayerCount => _awaitingLayer.Count;

    /// <summary>Pieces that had to be fetched again because they arrived before their layer and could not be held.</summary>
    public int DroppedBeforeLayer { get; private set; }

    /// <summary>
    /// A piece's file's piece layer was added to the torrent (call under the session's lock): the pieces of that file
    /// held for it are verified now.
    /// </summary>
    public void OnLayerAdded(TorrentFile file)
    {
        List<PieceDownload>? ready = null;
        foreach (var (index, piece) in _awaitingLayer)
        {
            if (ReferenceEquals(_torrent.Files[_torrent.V2FileOfPiece(index)], file))
                (ready ??= []).Add(piece);
        }
        if (ready is null)
            return;
        foreach (var piece in ready)
            Resume(piece);
        _logger.LogDebug("Piece layer of '{File}' arrived: {Count} held pieces verified now", file.DisplayPath, ready.Count);
    }

    /// <summary>
    /// Holds a piece whose file's piece layer is not known yet; true when held (the caller keeps its buffer), false when
    /// there is no room: it is released to be fetched again.
    /// </summary>
    private bool OnHashesUnknown(PieceDownload piece)
    {
        lock (_gate)
        {
            if (_torrent.TryGetV2PieceHash(piece.Index, out _))
            {
                // The layer came in while the piece was being hashed: verify it again at once (a fresh claim).
                _checking.Remove(piece.Index);
                Queue(piece);
                return true;
            }
            if (_awaitingLayer.ContainsKey(piece.Index))
                return false; // A second copy (cannot happen while the picker keeps the piece busy): the held one stands.
            if (_awaitingLayer.Count > 0 && _awaitingLayerBytes + piece.Size > MaxAwaitingLayerBytes)
            {
                DroppedBeforeLayer++;
                _logger.LogDebug("Piece {Piece} arrived before its file's piece layer and {Held} bytes are already held: fetched again later",
                    piece.Index, _awaitingLayerBytes);
                _scheduler.Release(piece.Index);
                return false;
            }
            _awaitingLayer.Add(piece.Index, piece);
            _awaitingLayerBytes += piece.Size;
            _checking.Remove(piece.Index); // Resume claims it again when the layer arrives.
            _logger.LogDebug("Piece {Piece} arrived before its file's piece layer: held until the layer is in", piece.Index);
            return true;
        }
    }

    private void Resume(PieceDownload piece)
    {
        _awaitingLayer.Remove(piece.Index);
        _awaitingLayerBytes -= piece.Size;
        Queue(piece);
    }
}
