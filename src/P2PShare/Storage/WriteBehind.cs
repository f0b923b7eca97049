using System.Collections.Concurrent;
using System.Runtime.InteropServices;
using Microsoft.Win32.SafeHandles;

namespace P2PShare.Storage;

/// <summary>
/// Starts the kernel's writeback of a file's dirty pages every <see cref="ThresholdBytes"/> written to it, without
/// waiting for it (Linux <c>sync_file_range(SYNC_FILE_RANGE_WRITE)</c>). A machine with plenty of memory otherwise keeps
/// a whole download dirty in the page cache (the background threshold is 10% of memory), and the fsync that comes
/// before resume data is saved (at completion, at exit) then waits for all of it at once: 0.47 s of a 1.3 s download
/// of 256 MiB here. Started early, the disk writes while the download goes on and the fsync finds little left.
/// Durability is unchanged: this never replaces the fsync, it only starts its work sooner. Elsewhere than Linux, or
/// where the file system refuses the call, it does nothing.
/// </summary>
internal sealed class WriteBehind(long thresholdBytes)
{
    public const long DefaultThresholdBytes = 4 * 1024 * 1024;

    private const uint SyncFileRangeWrite = 2;

    private readonly ConcurrentDictionary<int, long> _pending = new();
    private int _disabled = OperatingSystem.IsLinux() && thresholdBytes > 0 ? 0 : 1;
    private long _started;

    public long ThresholdBytes => thresholdBytes;

    /// <summary>Writebacks started so far (for tests and diagnostics).</summary>
    public long Started => Interlocked.Read(ref _started);

    /// <summary>False once off: not Linux, a threshold of 0, or the file system refused the call.</summary>
    public bool Enabled => Volatile.Read(ref _disabled) == 0;

    /// <summary>Counts <paramref name="bytes"/> written to file <paramref name="fileIndex"/>; past the threshold, starts its writeback.</summary>
    public void OnWritten(int fileIndex, SafeFileHandle handle, int bytes)
    {
        if (!Enabled)
            return;
        var pending = _pending.AddOrUpdate(fileIndex, static (_, added) => added, static (_, total, added) => total + added, (long)bytes);
        if (pending < thresholdBytes)
            return;
        // One writer of the file resets the count and starts the writeback; another that crossed meanwhile finds it reset.
        if (!_pending.TryUpdate(fileIndex, 0, pending))
            return;
        // The whole file (offset 0, length 0 = to its end): pages already being written are skipped, so this costs
        // about the dirty pages it finds.
        if (SyncFileRange(handle, 0, 0, SyncFileRangeWrite) == 0)
        {
            Interlocked.Increment(ref _started);
            return;
        }
        // ENOSYS, ESPIPE, EINVAL...: not for this file system; the fsync does all the work, as before.
        Volatile.Write(ref _disabled, 1);
    }

    [DllImport("libc", EntryPoint = "sync_file_range", SetLastError = true)]
    private static extern int SyncFileRange(SafeFileHandle fd, long offset, long nbytes, uint flags);
}
