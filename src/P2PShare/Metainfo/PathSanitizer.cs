using System.Text;
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

    /// <summary>
    /// Reads and checks a file's 'path' list: the bencode list that starts <paramref name="list"/> (bytes the decoder
    /// has accepted; what follows the list is ignored).
    /// </summary>
    /// <param name="previous">The previous file's components: a directory component with the same bytes at the same
    /// level is the same checked text, so its string is shared instead of decoded and checked again (a directory of
    /// 1,000 files names its directory once).</param>
    public static string[] ReadPath(ReadOnlySpan<byte> list, int fileIndex, string[]? previous = null)
    {
        var reader = new BencodeSpanReader(list);
        reader.Enter();
        var counter = reader;
        var count = 0;
        while (!counter.TryReadEnd())
        {
            counter.Skip();
            count++;
        }
        if (count == 0)
            throw new MetainfoException($"file {fileIndex} has an empty path");
        if (count > MetainfoLimits.MaxPathDepth)
            throw new MetainfoException($"file {fileIndex} path has {count} components; the limit is {MetainfoLimits.MaxPathDepth}");
        var segments = new string[count];
        var length = -1;
        for (var i = 0; i < count; i++)
        {
            if (reader.Peek() != 's')
                throw new MetainfoException($"file {fileIndex} has a path component that is not a string");
            var text = reader.ReadString();
            segments[i] = previous is not null && i < previous.Length - 1 && i < count - 1 && SameText(text, previous[i])
                ? previous[i]
                : CheckComponent(text, fileIndex);
            length += segments[i].Length + 1;
        }
        if (length > MetainfoLimits.MaxPathLength)
            throw new MetainfoException($"file {fileIndex} path is {length} characters long; the limit is {MetainfoLimits.MaxPathLength}");
        return segments;
    }

    /// <summary>Whether <paramref name="raw"/> is the UTF-8 of <paramref name="text"/>; only pure ASCII is compared (other text is checked again).</summary>
    private static bool SameText(ReadOnlySpan<byte> raw, string text)
    {
        if (raw.Length != text.Length)
            return false;
        for (var i = 0; i < raw.Length; i++)
            if (raw[i] != text[i] || raw[i] >= 0x80)
                return false;
        return true;
    }

    /// <summary><see cref="CheckComponent(ReadOnlySpan{byte}, string)"/> with the error text made only when there is an error.</summary>
    private static string CheckComponent(ReadOnlySpan<byte> raw, int fileIndex)
    {
        // The common case, a name that passes every check, without formatting the error context first.
        if (!System.Text.Unicode.Utf8.IsValid(raw) || raw.IsEmpty || raw.IndexOfAny((byte)'/', (byte)'\\', (byte)0) >= 0)
            return CheckComponent(raw, $"file {fileIndex} path");
        var text = Encoding.UTF8.GetString(raw);
        if (text is "." or ".." || text.Length > 255)
            return CheckComponent(raw, $"file {fileIndex} path");
        return DisplayText.OneLine(text, ControlReplacement);
    }

    public static string CheckComponent(BString raw, string where) => CheckComponent(raw.Span, where);

    public static string CheckComponent(ReadOnlySpan<byte> raw, string where)
    {
        if (!System.Text.Unicode.Utf8.IsValid(raw))
            throw new MetainfoException($"{where} is not valid UTF-8");
        var text = Encoding.UTF8.GetString(raw);
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
