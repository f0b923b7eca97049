namespace P2PShare.Engine.Picking;

/// <summary>
/// Sequential download (when <see cref="Enabled"/>): the "early" pieces first (the first and last piece of each
/// wanted file, where media containers keep their headers and index), then the lowest-index candidate. Deadlines
/// and priorities still come before it in the chain; when off, it defers to the next picker (random, rarest).
/// </summary>
internal sealed class SequentialPicker(IPicker next) : IPicker
{
    private int[] _early = [];
    private int _lowestMissing;

    public bool Enabled { get; set; }

    /// <summary>Pieces fetched before the in-order walk, in this order.</summary>
    public IReadOnlyList<int> EarlyPieces
    {
        get => _early;
        set => _early = [.. value];
    }

    public int Pick(PickContext context)
    {
        if (!Enabled)
            return next.Pick(context);
        foreach (var piece in _early)
            if ((uint)piece < (uint)context.PieceCount && context.IsCandidate(piece))
                return piece;
        // Pieces below the hint are all had; the hint only moves up over pieces we have.
        while (_lowestMissing < context.PieceCount && context.WeHave[_lowestMissing])
            _lowestMissing++;
        for (var piece = _lowestMissing; piece < context.PieceCount; piece++)
            if (context.IsCandidate(piece))
                return piece;
        return -1;
    }

    /// <summary>The first and last piece of each wanted (non-empty, non-padding) file, in file order.</summary>
    public static IReadOnlyList<int> EdgesOfFiles(Metainfo.Torrent torrent, IReadOnlyList<FilePriority>? priorities)
    {
        var result = new List<int>();
        var seen = new HashSet<int>();
        for (var f = 0; f < torrent.Files.Count; f++)
        {
            var file = torrent.Files[f];
            if (file.IsPadding || file.Length == 0 || (priorities is not null && priorities[f] == FilePriority.Skip))
                continue;
            var first = (int)(file.Offset / torrent.PieceLength);
            var last = (int)((file.EndOffset - 1) / torrent.PieceLength);
            if (seen.Add(first))
                result.Add(first);
            if (seen.Add(last))
                result.Add(last);
        }
        return result;
    }
}
