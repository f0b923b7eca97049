using System.Runtime.CompilerServices;
using P2PShare.Metainfo;

namespace P2PShare.Storage;

/// <summary>
/// Where a torrent's files live: DIR/&lt;name&gt; is the file of a single-file torrent or the root directory of a
/// multi-file one. Every path is checked to stay inside DIR, even though the parser already sanitized the names:
/// a path escaping the download directory would let a torrent overwrite arbitrary files.
/// </summary>
/// <remarks>
/// A file's path is made when it is first asked for and kept: a torrent of 100,000 files starts without building
/// 100,000 strings, and the resume check, the storage and every resume save share them (<see cref="For"/>).
/// </remarks>
internal sealed class ContentPaths
{
    private static readonly ConditionalWeakTable<Torrent, ContentPaths> s_shared = new();

    private readonly Torrent _torrent;
    private readonly string?[] _paths;
    private readonly string _rootPrefix;

    public ContentPaths(Torrent torrent, string directory)
    {
        ArgumentNullException.ThrowIfNull(torrent);
        ArgumentException.ThrowIfNullOrEmpty(directory);
        _torrent = torrent;
        Directory = Path.GetFullPath(directory);
        Root = Inside(Path.Combine(Directory, torrent.Name));
        _rootPrefix = Root + Path.DirectorySeparatorChar;
        _paths = new string?[torrent.Files.Count];
        if (torrent.IsMultiFile)
            foreach (var file in torrent.Files)
                if (!file.IsPadding && !StaysInside(file))
                    throw new IOException($"refusing a path outside the download directory {Directory}: {Root}/{file.DisplayPath}");
    }

    /// <summary>
    /// The paths of <paramref name="torrent"/> under <paramref name="directory"/>, made once and shared by every caller
    /// asking for the same torrent and directory (kept as long as the torrent object lives).
    /// </summary>
    public static ContentPaths For(Torrent torrent, string directory)
    {
        ArgumentNullException.ThrowIfNull(torrent);
        ArgumentException.ThrowIfNullOrEmpty(directory);
        if (s_shared.TryGetValue(torrent, out var cached) && string.Equals(cached.Directory, Path.GetFullPath(directory), StringComparison.Ordinal))
            return cached;
        var made = new ContentPaths(torrent, directory);
        s_shared.AddOrUpdate(torrent, made);
        return made;
    }

    /// <summary>The download directory (absolute).</summary>
    public string Directory { get; }

    /// <summary>DIR/&lt;torrent name&gt;.</summary>
    public string Root { get; }

    /// <summary>The absolute path of a file; null for a padding file, which has no place on disk.</summary>
    public string? this[int fileIndex]
    {
        get
        {
            var file = _torrent.Files[fileIndex];
            if (file.IsPadding)
                return null;
            // Two threads may both make it: the same string either way.
            return _paths[fileIndex] ??= _torrent.IsMultiFile ? Below(file) : Root;
        }
    }

    /// <summary>
    /// Root/a/b/c from components that each stay inside their parent (checked by the constructor). Such a path needs no
    /// normalising (all <see cref="Path.GetFullPath(string)"/> would do), so it is simply joined.
    /// </summary>
    private string Below(TorrentFile file) =>
        Path.DirectorySeparatorChar == '/' ? _rootPrefix + file.DisplayPath : Path.Join([Root, .. file.PathSegments]);

    /// <summary>Each component is not empty, not "." or "..", and holds no separator or NUL.</summary>
    private static bool StaysInside(TorrentFile file)
    {
        foreach (var segment in file.PathSegments)
            if (segment.Length == 0 || segment is "." or ".." || segment.AsSpan().IndexOfAny('/', '\\', '\0') >= 0
                || segment.Contains(Path.DirectorySeparatorChar))
                return false;
        return true;
    }

    private string Inside(string path)
    {
        var full = Path.GetFullPath(path);
        var prefix = Path.EndsInDirectorySeparator(Directory) ? Directory : Directory + Path.DirectorySeparatorChar;
        if (!full.StartsWith(prefix, StringComparison.Ordinal) || full.Length == prefix.Length)
            throw new IOException($"refusing a path outside the download directory {Directory}: {full}");
        return full;
    }
}
