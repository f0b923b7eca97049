namespace P2PShare.Storage;

/// <summary>
/// Refuses to write through a symbolic link found below a download directory. A link planted at a torrent's path (by
/// an earlier run, another user, or a hostile archive) would otherwise send writes anywhere: a link at the file
/// overwrites its target, a dangling one creates a file outside, a linked directory takes every file under it. Each
/// component from the first one below <c>root</c> down to the path itself is examined without following it
/// (lstat); the root itself is the user's choice and may be a link.
/// </summary>
/// <remarks>
/// The check runs before a file is opened for writing or a directory created, which is once per file thanks to the
/// handle cache. It does not close the race with a party that swaps a component between the check and the open.
/// </remarks>
internal static class LinkGuard
{
    /// <summary>Throws <see cref="IOException"/> when a component of <paramref name="path"/> below <paramref name="root"/> is a symbolic link.</summary>
    public static void EnsureNoLinks(string root, string path)
    {
        var full = Path.GetFullPath(path);
        var top = Path.TrimEndingDirectorySeparator(Path.GetFullPath(root));
        if (!full.StartsWith(top + Path.DirectorySeparatorChar, StringComparison.Ordinal))
            throw new IOException($"refusing a path outside {top}: {full}");
        var index = top.Length + 1;
        while (index <= full.Length)
        {
            var next = full.IndexOf(Path.DirectorySeparatorChar, index);
            var component = next < 0 ? full : full[..next];
            if (LinkTargetOf(component) is { } target)
                throw new IOException(
                    $"refusing to follow the symbolic link {component} -> {target}: a link below {top} could send the download elsewhere; remove it");
            if (next < 0)
                break;
            index = next + 1;
        }
    }

    /// <summary>The target of the link at <paramref name="path"/>, or null when it is not a link (or does not exist).</summary>
    public static string? LinkTargetOf(string path)
    {
        try
        {
            FileSystemInfo info = new FileInfo(path);
            return info.LinkTarget;
        }
        catch (Exception error) when (error is IOException or UnauthorizedAccessException)
        {
            return null; // absent or unreadable: the open that follows reports it
        }
    }
}
