using P2PShare.Metainfo;

namespace P2PShare.Engine.Picking;

/// <summary>
/// The priority of every piece: the wanted-pieces input of the picker. Made from per-file priorities
/// (what a file selection sets): a piece gets the highest priority of the files it overlaps, so a piece
/// shared by a wanted and a skipped file is still fetched. All pieces are <see cref="PiecePriority.Normal"/> by default.
/// </summary>
internal sealed class PiecePriorities
{
    private readonly PiecePriority[] _pieces;
    private readonly int[] _perLevel = new int[4];

    public PiecePriorities(int pieceCount)
    {
        _pieces = new PiecePriority[pieceCount];
        Array.Fill(_pieces, PiecePriority.Normal);
        Count(PiecePriority.Normal, pieceCount);
    }

    public int PieceCount => _pieces.Length;

    public PiecePriority this[int piece] => _pieces[piece];

    public bool IsWanted(int piece) => _pieces[piece] != PiecePriority.Skip;

    /// <summary>Pieces not skipped.</summary>
    public int WantedCount => _pieces.Length - _perLevel[(int)PiecePriority.Skip];

    /// <summary>How many pieces are at a level.</summary>
    public int CountAt(PiecePriority level) => _perLevel[(int)level];

    public void Set(int piece, PiecePriority priority)
    {
        if (!Enum.IsDefined(priority))
            throw new ArgumentOutOfRangeException(nameof(priority), priority, "not a piece priority");
        Count(_pieces[piece], -1);
        _pieces[piece] = priority;
        Count(priority, 1);
    }

    /// <summary>
    /// Maps per-file priorities (one per entry of <see cref="Torrent.Files"/>, padding files ignored) onto pieces:
    /// each piece takes the highest priority of the non-empty files it overlaps.
    /// </summary>
    public static PiecePriorities FromFiles(Torrent torrent, IReadOnlyList<PiecePriority> filePriorities) =>
        FromFiles(torrent.Files, torrent.PieceLength, torrent.PieceCount, filePriorities);

    public static PiecePriorities FromFiles(IReadOnlyList<TorrentFile> files, int pieceLength, int pieceCount, IReadOnlyList<PiecePriority> filePriorities)
    {
        if (filePriorities.Count != files.Count)
            throw new ArgumentException($"{filePriorities.Count} priorities for {files.Count} files", nameof(filePriorities));
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(pieceLength);
        var result = new PiecePriorities(pieceCount);
        var levels = new PiecePriority[pieceCount];
        for (var f = 0; f < files.Count; f++)
        {
            var file = files[f];
            if (file.IsPadding || file.Length == 0)
                continue;
            var first = (int)(file.Offset / pieceLength);
            var last = (int)Math.Min(pieceCount - 1, (file.EndOffset - 1) / pieceLength);
            for (var p = first; p <= last; p++)
                if (filePriorities[f] > levels[p])
                    levels[p] = filePriorities[f];
        }
        for (var p = 0; p < pieceCount; p++)
            result.Set(p, levels[p]);
        return result;
    }

    private void Count(PiecePriority level, int delta) => _perLevel[(int)level] += delta;
}
