namespace P2PShare.Metainfo.Hashing;

/// <summary>Which pieces of one chunk have bytes missing on disk; reused chunk after chunk by one worker.</summary>
internal sealed class ChunkGaps(int pieceLength, int piecesPerChunk)
{
    private readonly bool[] _missing = new bool[piecesPerChunk];
    private bool _any;

    public void Clear()
    {
        if (_any)
            Array.Clear(_missing);
        _any = false;
    }

    /// <summary>Marks every piece that overlaps bytes [offset, offset + count) of the chunk.</summary>
    public void Mark(int offset, int count)
    {
        for (var piece = offset / pieceLength; piece <= (offset + count - 1) / pieceLength; piece++)
            _missing[piece] = true;
        _any = true;
    }

    public bool IsMissing(int pieceInChunk) => _any && _missing[pieceInChunk];
}
