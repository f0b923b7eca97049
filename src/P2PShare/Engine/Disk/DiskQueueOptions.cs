namespace P2PShare.Engine.Disk;

/// <summary>Limits of the engine's disk queue. Immutable and validated when the queue is made.</summary>
internal sealed record DiskQueueOptions
{
    /// <summary>Bytes of pieces the queue may hold (waiting and being hashed or written) before producers wait.</summary>
    public long MemoryBudgetBytes { get; init; } = 16L * 1024 * 1024;

    /// <summary>Jobs run at once: hashing is CPU-bound, so about one per processor.</summary>
    public int Workers { get; init; } = Math.Max(2, Environment.ProcessorCount);

    public void Validate()
    {
        if (MemoryBudgetBytes <= 0)
            throw new ArgumentOutOfRangeException(nameof(MemoryBudgetBytes), MemoryBudgetBytes, "the disk queue's memory budget must be positive");
        if (Workers is <= 0 or > 256)
            throw new ArgumentOutOfRangeException(nameof(Workers), Workers, "the disk queue needs 1 to 256 workers");
    }
}
