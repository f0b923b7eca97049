namespace P2PShare.Metainfo;

/// <summary>
/// Makes text from outside (torrent and file names, comments, magnet display names, peers' client names) safe to put
/// on a terminal or in a log line: control characters (C0 including ESC and BEL, DEL, C1 including CSI) and the
/// bidirectional overrides that reorder what is shown become a space, so a name can neither send escape sequences
/// (title, colours, cursor moves) nor break a line in two.
/// </summary>
internal static class DisplayText
{
    /// <summary><paramref name="text"/> with every unsafe character replaced by <paramref name="replacement"/>; the same instance when there is none.</summary>
    public static string OneLine(string text, char replacement = ' ')
    {
        ArgumentNullException.ThrowIfNull(text);
        var first = IndexOfUnsafe(text);
        if (first < 0)
            return text;
        return string.Create(text.Length, (text, first, replacement), static (span, state) =>
        {
            state.text.AsSpan().CopyTo(span);
            for (var i = state.first; i < span.Length; i++)
                if (IsUnsafe(span[i]))
                    span[i] = state.replacement;
        });
    }

    /// <summary>Whether <paramref name="c"/> is a character <see cref="OneLine"/> replaces.</summary>
    public static bool IsUnsafe(char c) =>
        char.IsControl(c)
        || c is >= '\u202A' and <= '\u202E'   // bidi embeddings and overrides
        || c is >= '\u2066' and <= '\u2069'   // bidi isolates
        || c is '\u2028' or '\u2029';         // line and paragraph separators

    private static int IndexOfUnsafe(string text)
    {
        for (var i = 0; i < text.Length; i++)
            if (IsUnsafe(text[i]))
                return i;
        return -1;
    }
}
