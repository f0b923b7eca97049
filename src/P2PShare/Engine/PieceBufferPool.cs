using System.Numerics;

namespace P2PShare.Engine;

/// <summary>
/// Buffers for pieces being assembled and waiting for the disk, kept for reuse up to a byte limit. ArrayPool.Shared
/// also keeps one array of each size per thread: piece buffers are rented on receive loops and returned on disk
/// workers, so with 4 MiB pieces a dozen idle pool threads each parked one, the pool missed and allocated more, and
/// private memory grew through a long download. Here every returned buffer goes to one shared stack per size (a
/// power of two, so the short last piece reuses a full one), and beyond <see cref="MaxRetainedBytes"/> it is left to
/// the GC. Thread-safe.
/// </summary>
internal sealed class PieceBufferPool
{
    private const int MinBucketShift = 14; // 16 KiB: the smallest piece
    private const int MaxBucketShift = 30;
    private readonly Stack<byte[]>[] _buckets = new Stack<byte[]>[MaxBucketShift - MinBucketShift + 1];
    private readonly Lock _lock = new();
    private long _retained;

    public PieceBufferPool(long maxRetainedBytes)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(maxRetainedBytes);
        MaxRetainedBytes = maxRetainedBytes;
        for (var i = 0; i < _buckets.Length; i++)
            _buckets[i] = new Stack<byte[]>();
    }

    /// <summary>The process's pool for piece buffers: enough to hold what the default disk queue and a few pieces in flight need.</summary>
    public static PieceBufferPool Shared { get; } = new(32L * 1024 * 1024);

    public long MaxRetainedBytes { get; }

    /// <summary>Bytes of buffers kept for reuse now.</summary>
    public long RetainedBytes
    {
        get
        {
            lock (_lock)
                return _retained;
        }
    }

    /// <summary>A buffer of at least <paramref name="size"/> bytes (its contents are not cleared).</summary>
    public byte[] Rent(int size)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(size);
        if (size == 0)
            return [];
        var shift = BucketShift(size);
        if (shift > MaxBucketShift)
            return GC.AllocateUninitializedArray<byte>(size);
        lock (_lock)
        {
            if (_buckets[shift - MinBucketShift].TryPop(out var buffer))
            {
                _retained -= buffer.Length;
                return buffer;
            }
        }
        return GC.AllocateUninitializedArray<byte>(1 << shift);
    }

    /// <summary>Gives a buffer back for reuse; one that does not fit a bucket or the byte limit is dropped.</summary>
    public void Return(byte[] buffer)
    {
        ArgumentNullException.ThrowIfNull(buffer);
        if (buffer.Length == 0 || !BitOperations.IsPow2(buffer.Length))
            return;
        var shift = BitOperations.Log2((uint)buffer.Length);
        if (shift is < MinBucketShift or > MaxBucketShift)
            return;
        lock (_lock)
        {
            if (_retained + buffer.Length > MaxRetainedBytes)
                return;
            _retained += buffer.Length;
            _buckets[shift - MinBucketShift].Push(buffer);
        }
    }

    private static int BucketShift(int size) =>
        Math.Max(MinBucketShift, BitOperations.Log2(BitOperations.RoundUpToPowerOf2((uint)size)));
}
