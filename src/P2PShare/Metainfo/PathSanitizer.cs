using P2PShare.Bencode;

namespace P2PShare.Metainfo;

/// <summary>
/// Checks names from a torrent before they become paths: a hostile torrent must not be able to
/// write outside the download directory or create names the file system treats specially.
/// </summary>
internal static class PathSanitizer
{
    /// <summary>What a control character in a name becomes on disk (as libtorrent does).</summary>
    public const char ControlReplacement = '_';

    public static IReadOnlyList<string> ReadPath(BDictionary entry, int fileIndex)
    {
        var pathValue = entry["path.utf-8"] as BList ?? entry["path"] as BList
            ?? throw new MetainfoException($"file {fileIndex} has no 'path' list");
        if (pathValue.Count == 0)
            throw new MetainfoException($"file {fileIndex} has an empty path");
        if (pathValue.Count > MetainfoLimits.MaxPathDepth)
            throw new MetainfoException($"file {fileIndex} path has {pathValue.Count} components; the limit is {MetainfoLimits.MaxPathDepth}");
        var segments = new List<string>(pathValue.Count);
        foreach (var component in pathValue)
        {
            if (component is not BString text)
                throw new MetainfoException($"file {fileIndex} has a path component that is not a string");
            segments.Add(CheckComponent(text, $"file {fileIndex} path"));
        }
        var length = segments.Sum(segment => segment.Length + 1) - 1;
        if (length > MetainfoLimits.MaxPathLength)
            throw new MetainfoException($"file {fileIndex} path is {length} characters long; the limit is {MetainfoLimits.MaxPathLength}");
        return segments;
    }

    public static string CheckComponent(BString raw, string where)
    {
        if (!raw.IsValidUtf8)
            throw new MetainfoException($"{where} is not valid UTF-8");
        var text = raw.Text;
        if (text.Length == 0)
            throw new MetainfoException($"{where} has an empty component");
        if (text is "." or "..")
            throw new MetainfoException($"{where} has a '{text}' component, which would leave the download directory");
        if (text.Contains('/') || text.Contains('\\'))
            throw new MetainfoException($"{where} component '{text}' contains a path separator");
        if (text.Contains('\0'))
            throw new MetainfoException($"{where} component contains a NUL byte");
        if (text.Length > 255)
            throw new MetainfoException($"{where} component is longer than 255 characters");
        // Newlines, tabs, ESC, BEL, DEL... in a file name reach terminals and scripts that list the directory.
        return DisplayText.OneLine(text, ControlReplacement);
    }
}
