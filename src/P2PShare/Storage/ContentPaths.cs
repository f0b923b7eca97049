using P2PShare.Metainfo;

namespace P2PShare.Storage;

/// <summary>
/// Where a torrent's files live: DIR/&lt;name&gt; is the file of a single-file torrent or the root directory of a
/// multi-file one. Every path is checked to stay inside DIR, even though the parser already sanitized the names:
/// a path escaping the download directory would let a torrent overwrite arbitrary files.
/// </summary>
internal sealed class ContentPaths
{
    private readonly string?[] _paths;

    public ContentPaths(Torrent torrent, string directory)
    {
        ArgumentNullException.ThrowIfNull(torrent);
        ArgumentException.ThrowIfNullOrEmpty(directory);
        Directory = Path.GetFullPath(directory);
        Root = Inside(Path.Combine(Directory, torrent.Name));
        _paths = new string?[torrent.Files.Count];
        for (var i = 0; i < torrent.Files.Count; i++)
        {
            var file = torrent.Files[i];
            if (file.IsPadding)
                continue;
            _paths[i] = torrent.IsMultiFile ? Inside(Path.Combine([Root, .. file.PathSegments])) : Root;
        }
    }

    /// <summary>The download directory (absolute).</summary>
    public string Directory { get; }

    /// <summary>DIR/&lt;torrent name&gt;.</summary>
    public string Root { get; }

    /// <summary>The absolute path of a file; null for a padding file, which has no place on disk.</summary>
    public string? this[int fileIndex] => _paths[fileIndex];

    private string Inside(string path)
    {
        var full = Path.GetFullPath(path);
        var prefix = Path.EndsInDirectorySeparator(Directory) ? Directory : Directory + Path.DirectorySeparatorChar;
        if (!full.StartsWith(prefix, StringComparison.Ordinal) || full.Length == prefix.Length)
            throw new IOException($"refusing a path outside the download directory {Directory}: {full}");
        return full;
    }
}
