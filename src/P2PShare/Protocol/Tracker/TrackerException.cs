namespace P2PShare.Protocol.Tracker;

/// <summary>A tracker could not be used for this request. Messages are bounded: they may quote tracker text.</summary>
internal class TrackerException(string message, Exception? inner = null) : Exception(message, inner)
{
    /// <summary>Longest piece of tracker-supplied text quoted in a message or kept in a status.</summary>
    public const int MaxQuotedLength = 200;

    /// <summary>Makes tracker-supplied text safe to log: bounded, one line, no control characters.</summary>
    public static string Quote(string text)
    {
        var clipped = text.Length > MaxQuotedLength ? text[..MaxQuotedLength] + "…" : text;
        return string.Create(clipped.Length, clipped, static (span, source) =>
        {
            for (var i = 0; i < source.Length; i++)
                span[i] = char.IsControl(source[i]) ? ' ' : source[i];
        });
    }
}
