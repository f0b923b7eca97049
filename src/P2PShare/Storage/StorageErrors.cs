namespace P2PShare.Storage;

/// <summary>Turns low-level I/O failures into one clear message naming the file and what was being done.</summary>
internal static class StorageErrors
{
    // errno values (Linux; .NET carries errno as the IOException HResult on Unix).
    private const int NoSpace = 28;
    private const int ReadOnlyFileSystem = 30;
    private const int QuotaExceeded = 122;

    // Win32 error codes (in the low word of the HResult on Windows).
    private const int WindowsDiskFull = 112;
    private const int WindowsHandleDiskFull = 39;
    private const int WindowsWriteProtect = 19;

    /// <summary>Whether <paramref name="error"/> is one this class rewrites.</summary>
    public static bool IsIoFailure(Exception error) => error is IOException or UnauthorizedAccessException;

    /// <summary>Whether <paramref name="error"/> says the disk (or the user's quota) is full.</summary>
    public static bool IsNoSpace(IOException error) =>
        IsCode(error, NoSpace, QuotaExceeded, WindowsDiskFull, WindowsHandleDiskFull) || Mentions(error, "No space left");

    /// <param name="action">"writing", "reading", "creating", "flushing"...</param>
    public static IOException Describe(Exception error, string action, string path)
    {
        var what = error switch
        {
            IOException io when IsCode(io, NoSpace, QuotaExceeded, WindowsDiskFull, WindowsHandleDiskFull) || Mentions(io, "No space left") =>
                "no space left on device",
            IOException io when IsCode(io, ReadOnlyFileSystem, ReadOnlyFileSystem, WindowsWriteProtect, WindowsWriteProtect)
                || Mentions(io, "Read-only file system") =>
                "read-only file system",
            UnauthorizedAccessException => "permission denied",
            FileNotFoundException or DirectoryNotFoundException => "file not found",
            _ => null,
        };
        if (what is null)
            return new IOException($"error {action} {path}: {error.Message}", error);
        // A full disk: say which file system and how much it has left (the user frees space there).
        var disk = what == "no space left on device" ? DiskSpace.Describe(path) : null;
        return new IOException(disk is null ? $"{what} {action} {path}" : $"{what} {action} {path} ({disk})", error);
    }

    private static bool IsCode(IOException error, int unix1, int unix2, int windows1, int windows2)
    {
        var code = error.HResult & 0xFFFF;
        return OperatingSystem.IsWindows() ? code == windows1 || code == windows2 : code == unix1 || code == unix2;
    }

    private static bool Mentions(Exception error, string text) => error.Message.Contains(text, StringComparison.OrdinalIgnoreCase);
}
