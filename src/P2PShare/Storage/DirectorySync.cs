using System.Runtime.InteropServices;

namespace P2PShare.Storage;

/// <summary>
/// fsync on a directory, so a rename or a newly created file inside it survives a crash. .NET cannot open a directory
/// as a file handle, hence the direct libc calls; Windows has no equivalent need (NTFS journals metadata).
/// </summary>
internal static partial class DirectorySync
{
    private const int ReadOnly = 0;

    public static void Flush(string directory)
    {
        if (OperatingSystem.IsWindows())
            return;
        var fd = Open(directory, ReadOnly);
        if (fd < 0)
            throw new IOException($"cannot open directory {directory} to sync it (errno {Marshal.GetLastPInvokeError()})");
        try
        {
            // Some file systems refuse fsync on directories (EINVAL); their metadata is then as durable as it gets.
            if (Fsync(fd) != 0 && Marshal.GetLastPInvokeError() is var errno && errno != Einval)
                throw new IOException($"cannot sync directory {directory} (errno {errno})");
        }
        finally
        {
            _ = Close(fd);
        }
    }

    private const int Einval = 22;

    [DllImport("libc", EntryPoint = "open", SetLastError = true, CharSet = CharSet.Ansi, BestFitMapping = false, ThrowOnUnmappableChar = true)]
    private static extern int Open(string path, int flags);

    [DllImport("libc", EntryPoint = "fsync", SetLastError = true)]
    private static extern int Fsync(int fd);

    [DllImport("libc", EntryPoint = "close", SetLastError = true)]
    private static extern int Close(int fd);
}
