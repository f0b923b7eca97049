namespace P2PShare.Metainfo;

/// <summary>
/// Lists the files below a directory for a new torrent, sorted by path (component by component, ordinal).
/// Hidden files are included; anything that cannot be represented is an error or a warning, never skipped silently.
/// Symlinks are followed only while they stay inside the directory.
/// </summary>
internal static class SourceScanner
{
    public static List<PlannedFile> Scan(string rootDirectory, string? excludePath, List<string> warnings, CancellationToken cancellationToken)
    {
        var root = Path.GetFullPath(rootDirectory);
        var realRoot = RealPath(root);
        var exclude = excludePath is null ? null : Path.GetFullPath(excludePath);
        var files = new List<PlannedFile>();
        Walk(root, [], realRoot, exclude, files, warnings, [realRoot], cancellationToken);
        files.Sort((a, b) => ComparePaths(a.PathSegments, b.PathSegments));
        return files;
    }

    private static void Walk(
        string directory, List<string> segments, string realRoot, string? exclude, List<PlannedFile> files,
        List<string> warnings, HashSet<string> activeDirectories, CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        var entries = new DirectoryInfo(directory).EnumerateFileSystemInfos("*", new EnumerationOptions
        {
            RecurseSubdirectories = false,
            AttributesToSkip = 0,
            IgnoreInaccessible = false,
            ReturnSpecialDirectories = false,
        }).ToList();
        if (entries.Count == 0 && segments.Count > 0)
            warnings.Add($"empty directory '{string.Join('/', segments)}' cannot be stored in a torrent and is left out");

        foreach (var entry in entries)
        {
            List<string> entrySegments = [.. segments, entry.Name];
            var display = string.Join('/', entrySegments);
            if (exclude is not null && string.Equals(entry.FullName, exclude, StringComparison.Ordinal))
            {
                warnings.Add($"'{display}' is the output torrent and is left out");
                continue;
            }
            FileSystemInfo target = entry;
            if (entry.LinkTarget is not null)
            {
                var resolved = entry.ResolveLinkTarget(returnFinalTarget: true);
                if (resolved is null || !resolved.Exists)
                    throw new IOException($"'{display}' is a symbolic link to something that does not exist");
                var realTarget = RealPath(resolved.FullName);
                if (!IsInside(realTarget, realRoot))
                    throw new IOException($"'{display}' is a symbolic link pointing outside '{realRoot}' ({realTarget})");
                target = resolved;
            }

            if (target is DirectoryInfo || target.Attributes.HasFlag(FileAttributes.Directory))
            {
                var realDirectory = RealPath(target.FullName);
                if (!activeDirectories.Add(realDirectory))
                    throw new IOException($"'{display}' is a symbolic link loop");
                Walk(entry.FullName, entrySegments, realRoot, exclude, files, warnings, activeDirectories, cancellationToken);
                activeDirectories.Remove(realDirectory);
                continue;
            }
            // .NET cannot tell FIFOs, sockets and devices from files; they report length 0 and are never opened.
            var file = new FileInfo(target.FullName);
            files.Add(new PlannedFile(entry.FullName, entrySegments, file.Length));
        }
    }

    private static int ComparePaths(IReadOnlyList<string> a, IReadOnlyList<string> b)
    {
        for (var i = 0; i < Math.Min(a.Count, b.Count); i++)
        {
            var order = string.CompareOrdinal(a[i], b[i]);
            if (order != 0)
                return order;
        }
        return a.Count.CompareTo(b.Count);
    }

    private static bool IsInside(string path, string root) =>
        path == root || path.StartsWith(root.EndsWith('/') ? root : root + Path.DirectorySeparatorChar, StringComparison.Ordinal);

    /// <summary>The path with every symbolic link along it resolved.</summary>
    internal static string RealPath(string path)
    {
        var full = Path.GetFullPath(path);
        var root = Path.GetPathRoot(full)!;
        var current = root;
        foreach (var part in full[root.Length..].Split(Path.DirectorySeparatorChar, StringSplitOptions.RemoveEmptyEntries))
        {
            var next = Path.Combine(current, part);
            for (var hops = 0; ; hops++)
            {
                var info = new FileInfo(next);
                if (info.LinkTarget is null)
                    break;
                if (hops > 40)
                    throw new IOException($"too many levels of symbolic links at '{next}'");
                next = Path.GetFullPath(info.LinkTarget, current);
                next = RealPath(next);
            }
            current = next;
        }
        return current;
    }
}
