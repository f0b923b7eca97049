using System.Collections.Concurrent;
using Microsoft.Win32.SafeHandles;

namespace P2PShare.Storage;

/// <summary>
/// Flushes a file in the background every <see cref="ThresholdBytes"/> written to it, so the fsync that must come
/// before resume data is saved (at completion, at exit) finds little left to do. Without it, the whole download waits
/// for that one fsync: on this machine's virtual disk 0.5-0.65 s after 256 MiB (about 0.08 s per 32 MiB, whether the
/// guest already wrote the pages back or not: the cost is the device's cache flush), against 1-1.3 s for the transfer.
/// Flushed in 32 MiB steps beside the transfer, the final fsync takes 0-0.07 s. Starting the kernel's writeback alone
/// (<c>sync_file_range</c>) was tried: the dirty pages went, the final fsync stayed at 0.4-0.5 s.
/// Durability is unchanged (an early flush never replaces the last one). At most one background flush per storage runs
/// at a time, on a pool thread; a file that crosses its threshold meanwhile is flushed at its next write after that.
/// </summary>
internal sealed class WriteBehind(long thresholdBytes)
{
    public const long DefaultThresholdBytes = 32 * 1024 * 1024;

    private readonly ConcurrentDictionary<int, long> _pending = new();
    private int _running;
    private long _started;
    private long _completed;
    private Task _last = Task.CompletedTask;

    public long ThresholdBytes => thresholdBytes;

    public bool Enabled => thresholdBytes > 0;

    /// <summary>Background flushes started so far (for tests and diagnostics).</summary>
    public long Started => Interlocked.Read(ref _started);

    /// <summary>Background flushes finished so far, failed ones included.</summary>
    public long Completed => Interlocked.Read(ref _completed);

    /// <summary>The latest background flush (completed when none ran), for tests.</summary>
    public Task Last => Volatile.Read(ref _last);

    /// <summary>Counts <paramref name="bytes"/> written to file <paramref name="fileIndex"/>; past the threshold, flushes it in the background.</summary>
    public void OnWritten(int fileIndex, SafeFileHandle handle, int bytes)
    {
        if (!Enabled)
            return;
        var pending = _pending.AddOrUpdate(fileIndex, static (_, added) => added, static (_, total, added) => total + added, (long)bytes);
        if (pending < thresholdBytes || Interlocked.CompareExchange(ref _running, 1, 0) != 0)
            return;
        // Another writer of the file may have crossed too and reset the count: then it is that writer's flush.
        if (!_pending.TryUpdate(fileIndex, 0, pending))
        {
            Volatile.Write(ref _running, 0);
            return;
        }
        // The handle may be closed by the handle cache meanwhile: the reference keeps the descriptor open until the flush ends.
        var added = false;
        handle.DangerousAddRef(ref added);
        Interlocked.Increment(ref _started);
        Volatile.Write(ref _last, Task.Run(() => Flush(handle)));
    }

    private void Flush(SafeFileHandle handle)
    {
        try
        {
            RandomAccess.FlushToDisk(handle);
        }
        catch (Exception error) when (error is IOException or UnauthorizedAccessException or ObjectDisposedException)
        {
            // Not fatal here: the fsync before resume data is saved reports what is wrong with the file.
        }
        finally
        {
            handle.DangerousRelease();
            Interlocked.Increment(ref _completed);
            Volatile.Write(ref _running, 0);
        }
    }
}
