using System.Runtime.InteropServices;
using Microsoft.Win32.SafeHandles;

namespace P2PShare.Storage;

/// <summary>
/// Starts the kernel writing a file's dirty pages to disk without waiting for it (Linux <c>sync_file_range</c> with
/// <c>SYNC_FILE_RANGE_WRITE</c>). Why: the data is fsynced before resume data may claim it, and left alone the kernel
/// keeps a whole download dirty until then (its background threshold is 10% of memory), so that one fsync writes
/// everything at once: 1.0-1.9 s of a 1 GiB download here, while the transfer had been done. Kicked every few MiB
/// written, most of it is on disk by the time the fsync runs. Best effort: durability still comes from the fsync; on
/// other systems, or a file system that refuses the call, this does nothing.
/// </summary>
internal static class EarlyWriteback
{
    /// <summary>Bytes written to a torrent's files between two kicks.</summary>
    public const long Every = 8L * 1024 * 1024;

    private const uint SyncFileRangeWrite = 2;
    private static volatile bool _unsupported = !OperatingSystem.IsLinux();
    private static long _started;

    /// <summary>Write-outs started so far in this process (diagnostics and tests).</summary>
    public static long Started => Interlocked.Read(ref _started);

    /// <summary>Starts write-out of every dirty page of the file (offset 0, length 0: to its end).</summary>
    public static void Start(SafeFileHandle handle)
    {
        if (_unsupported)
            return;
        if (SyncFileRange(handle, 0, 0, SyncFileRangeWrite) == 0)
        {
            Interlocked.Increment(ref _started);
        }
        else
        {
            // ENOSYS, EINVAL (not supported here), ESPIPE: stop asking; anything else (EIO) the fsync will report.
            var errno = Marshal.GetLastPInvokeError();
            if (errno is 38 or 22 or 29)
                _unsupported = true;
        }
    }

    [DllImport("libc", EntryPoint = "sync_file_range", SetLastError = true)]
    private static extern int SyncFileRange(SafeFileHandle fd, long offset, long length, uint flags);
}
