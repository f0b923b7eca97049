using System.Runtime.InteropServices;
using P2PShare.Platform;

namespace P2PShare.Storage;

/// <summary>
/// fsync on a directory, so a rename or a newly created file inside it survives a crash. .NET cannot open a directory
/// as a file handle, hence the direct libc calls; Windows has no equivalent need (NTFS journals metadata).
/// </summary>
internal static class DirectorySync
{
    public static void Flush(string directory)
    {
        if (OperatingSystem.IsWindows())
            return;
        var fd = LibC.Open(directory, LibC.ReadOnly);
        if (fd < 0)
            throw new IOException($"cannot open directory {directory} to sync it (errno {Marshal.GetLastPInvokeError()})");
        try
        {
            // Some file systems refuse fsync on directories (EINVAL); their metadata is then as durable as it gets.
            if (LibC.Fsync(fd) != 0 && Marshal.GetLastPInvokeError() is var errno && errno != LibC.Einval)
                throw new IOException($"cannot sync directory {directory} (errno {errno})");
        }
        finally
        {
            _ = LibC.Close(fd);
        }
    }
}
