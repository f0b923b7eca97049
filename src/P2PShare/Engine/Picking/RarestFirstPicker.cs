namespace P2PShare.Engine.Picking;

/// <summary>
/// The piece fewest connected peers have, so rare pieces spread before their holders leave. Walks the
/// availability buckets from the rarest; within a bucket the search starts at a random place, so peers
/// asking at once do not all pick the same piece. Pieces nobody is counted for come last.
/// <para>
/// Extent affinity: when the piece right after the previous pick is a candidate in the same bucket (just as rare)
/// and in the same aligned extent of <see cref="ExtentPieces"/> pieces, it is picked instead of a random one. With
/// small pieces (16 KiB: 65,536 in a GiB) pieces then complete in runs of neighbours, so the disk gets nearly
/// sequential writes that storage can merge, instead of one scattered write per piece into a sparse file. Rarity
/// decides exactly as before; only the tie-break among equally rare pieces changes, and each extent is entered at
/// a random place.
/// </para>
/// </summary>
internal sealed class RarestFirstPicker(Availability availability, Random random) : IPicker
{
    /// <summary>Pieces per aligned extent a run of neighbours stays in (4 MiB of 16 KiB pieces).</summary>
    public const int ExtentPieces = 256;

    private int _next = -1;

    public int Pick(PickContext context)
    {
        var found = PickRarest(context);
        if (found >= 0)
            _next = found + 1;
        return found;
    }

    private int PickRarest(PickContext context)
    {
        // Bucket 0 holds pieces no counted peer has: with no seeds, this peer cannot have them either (unless it was never counted).
        var firstBucket = availability.Seeds == 0 ? 1 : 0;
        for (var b = firstBucket; b < availability.BucketCount; b++)
        {
            var found = PickIn(b, context);
            if (found >= 0)
                return found;
        }
        return firstBucket == 1 && availability.BucketCount > 0 ? PickIn(0, context) : -1;
    }

    private int PickIn(int bucketIndex, PickContext context)
    {
        var bucket = availability.Bucket(bucketIndex);
        if (bucket.IsEmpty)
            return -1;
        if (NextInBucket(bucketIndex, context))
            return _next;
        var start = random.Next(bucket.Length);
        for (var i = start; i < bucket.Length; i++)
            if (context.IsCandidate(bucket[i]))
                return bucket[i];
        for (var i = 0; i < start; i++)
            if (context.IsCandidate(bucket[i]))
                return bucket[i];
        return -1;
    }

    /// <summary>Whether the piece after the previous pick continues its run: same extent, ranked in this bucket, a candidate.</summary>
    private bool NextInBucket(int bucketIndex, PickContext context)
    {
        var next = _next;
        return next > 0 && next < availability.PieceCount && next % ExtentPieces != 0
            && !availability.IsExcluded(next) && availability[next] - availability.Seeds == bucketIndex
            && context.IsCandidate(next);
    }
}
