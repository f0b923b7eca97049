using System.Globalization;

namespace P2PShare.Cli.Streaming;

/// <summary>One HTTP byte range (RFC 9110 §14.1.2), resolved against the resource length: First..Last inclusive.</summary>
internal readonly record struct ByteRange(long First, long Last)
{
    public long Length => Last - First + 1;

    /// <summary>
    /// Parses a Range header value for a resource of <paramref name="length"/> bytes. Null header: the whole resource.
    /// Returns false when the range is unsatisfiable (416). Several ranges, or a unit other than bytes, are served whole
    /// (a server may ignore Range), which media players never ask for.
    /// </summary>
    public static bool TryResolve(string? header, long length, out ByteRange range, out bool partial)
    {
        range = new ByteRange(0, length - 1);
        partial = false;
        if (string.IsNullOrWhiteSpace(header))
            return true;
        var text = header.Trim();
        if (!text.StartsWith("bytes=", StringComparison.OrdinalIgnoreCase) || text.Contains(','))
            return true;
        var spec = text[6..].Trim();
        var dash = spec.IndexOf('-');
        if (dash < 0)
            return true;
        var firstText = spec[..dash].Trim();
        var lastText = spec[(dash + 1)..].Trim();
        if (firstText.Length == 0)
        {
            // Suffix: the last N bytes.
            if (!long.TryParse(lastText, NumberStyles.None, CultureInfo.InvariantCulture, out var suffix))
                return true;
            if (suffix == 0 || length == 0)
                return false;
            range = new ByteRange(Math.Max(0, length - suffix), length - 1);
            partial = true;
            return true;
        }
        if (!long.TryParse(firstText, NumberStyles.None, CultureInfo.InvariantCulture, out var first))
            return true;
        var last = length - 1;
        if (lastText.Length > 0)
        {
            if (!long.TryParse(lastText, NumberStyles.None, CultureInfo.InvariantCulture, out last) || last < first)
                return true;
            last = Math.Min(last, length - 1);
        }
        if (first >= length)
            return false;
        range = new ByteRange(first, last);
        partial = true;
        return true;
    }
}
