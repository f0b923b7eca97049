namespace P2PShare.Storage;

/// <summary>The file system a path is on and its free space, for messages about a full disk.</summary>
internal static class DiskSpace
{
    /// <summary>"disk /mnt/data: 12.0 KiB free of 6.0 MiB", or null when it cannot be found out.</summary>
    public static string? Describe(string path)
    {
        try
        {
            var full = Path.GetFullPath(path);
            DriveInfo? best = null;
            foreach (var drive in DriveInfo.GetDrives())
            {
                var root = drive.RootDirectory.FullName;
                if (IsUnder(full, root) && (best is null || root.Length > best.RootDirectory.FullName.Length))
                    best = drive;
            }
            if (best is null || !best.IsReady)
                return null;
            var name = best.RootDirectory.FullName.TrimEnd(Path.DirectorySeparatorChar);
            return $"disk {(name.Length > 0 ? name : "/")}: {Size(best.AvailableFreeSpace)} free of {Size(best.TotalSize)}";
        }
        catch (Exception error) when (error is IOException or UnauthorizedAccessException or ArgumentException)
        {
            return null;
        }
    }

    private static bool IsUnder(string path, string root)
    {
        var comparison = OperatingSystem.IsWindows() ? StringComparison.OrdinalIgnoreCase : StringComparison.Ordinal;
        var withSeparator = root.EndsWith(Path.DirectorySeparatorChar) ? root : root + Path.DirectorySeparatorChar;
        return path.Equals(root.TrimEnd(Path.DirectorySeparatorChar), comparison) || path.StartsWith(withSeparator, comparison);
    }

    private static string Size(long bytes) => bytes switch
    {
        >= 1L << 30 => $"{bytes / (double)(1L << 30):0.0} GiB",
        >= 1L << 20 => $"{bytes / (double)(1L << 20):0.0} MiB",
        >= 1L << 10 => $"{bytes / 1024.0:0.0} KiB",
        _ => $"{bytes} B",
    };
}
