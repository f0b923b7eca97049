namespace P2PShare.Engine.Picking;

/// <summary>
/// The piece fewest connected peers have, so rare pieces spread before their holders leave. Walks the
/// availability buckets from the rarest; within a bucket the search starts at a random place, so peers
/// asking at once do not all pick the same piece. Pieces nobody is counted for come last.
/// </summary>
internal sealed class RarestFirstPicker(Availability availability, Random random) : IPicker
{
    public int Pick(PickContext context)
    {
        // Bucket 0 holds pieces no counted peer has: with no seeds, this peer cannot have them either (unless it was never counted).
        var firstBucket = availability.Seeds == 0 ? 1 : 0;
        for (var b = firstBucket; b < availability.BucketCount; b++)
        {
            var found = PickIn(availability.Bucket(b), context);
            if (found >= 0)
                return found;
        }
        return firstBucket == 1 && availability.BucketCount > 0 ? PickIn(availability.Bucket(0), context) : -1;
    }

    private int PickIn(ReadOnlySpan<int> bucket, PickContext context)
    {
        if (bucket.IsEmpty)
            return -1;
        var start = random.Next(bucket.Length);
        for (var i = start; i < bucket.Length; i++)
            if (context.IsCandidate(bucket[i]))
                return bucket[i];
        for (var i = 0; i < start; i++)
            if (context.IsCandidate(bucket[i]))
                return bucket[i];
        return -1;
    }
}
