namespace P2PShare.Storage;

/// <summary>How far a data check has got, in bytes of torrent data.</summary>
internal readonly record struct PieceCheckProgress(long BytesChecked, long BytesTotal)
{
    public double Fraction => BytesTotal == 0 ? 1 : (double)BytesChecked / BytesTotal;
}
