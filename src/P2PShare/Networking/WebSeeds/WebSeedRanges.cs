using P2PShare.Metainfo;

namespace P2PShare.Networking.WebSeeds;

/// <summary>Cuts a piece into one range per file it covers, in order (a piece may span many small files).</summary>
internal static class WebSeedRanges
{
    public static IReadOnlyList<WebSeedRange> ForPiece(Torrent torrent, int pieceIndex)
    {
        var start = torrent.PieceOffset(pieceIndex);
        var end = start + torrent.PieceSize(pieceIndex);
        var ranges = new List<WebSeedRange>();
        var files = torrent.Files;
        // Files are sorted by offset: binary search for the first file that ends after the piece's start.
        int lo = 0, hi = files.Count - 1;
        while (lo < hi)
        {
            var mid = (lo + hi) / 2;
            if (files[mid].EndOffset <= start)
                lo = mid + 1;
            else
                hi = mid;
        }
        for (var i = lo; i < files.Count && files[i].Offset < end; i++)
        {
            var file = files[i];
            if (file.Length == 0)
                continue;
            var from = Math.Max(start, file.Offset);
            var to = Math.Min(end, file.EndOffset);
            if (to <= from)
                continue;
            ranges.Add(new WebSeedRange(i, from - file.Offset, (int)(to - from), (int)(from - start), file.IsPadding));
        }
        return ranges;
    }
}
