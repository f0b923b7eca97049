using System.Globalization;
using System.Text;

namespace P2PShare.Protocol.Tracker;

/// <summary>Builds BEP 3 announce and scrape URLs. Binary fields are percent-encoded byte by byte.</summary>
internal static class HttpTrackerUrl
{
    public static Uri BuildAnnounce(Uri announce, AnnounceParameters parameters)
    {
        parameters.Validate();
        var query = new StringBuilder(256);
        Append(query, "info_hash", parameters.InfoHash.Span);
        Append(query, "peer_id", parameters.PeerId.Span);
        Append(query, "port", parameters.Port);
        Append(query, "uploaded", parameters.Uploaded);
        Append(query, "downloaded", parameters.Downloaded);
        Append(query, "left", parameters.Left);
        Append(query, "compact", 1);
        Append(query, "numwant", Math.Max(0, parameters.NumWant));
        Append(query, "key", parameters.Key.ToString("x8", CultureInfo.InvariantCulture));
        var eventName = EventName(parameters.Event);
        if (eventName is not null)
            Append(query, "event", eventName);
        if (!string.IsNullOrEmpty(parameters.TrackerId))
            Append(query, "trackerid", Encoding.UTF8.GetBytes(parameters.TrackerId));
        return WithQuery(announce, query);
    }

    /// <summary>
    /// The scrape URL by the BEP 48 convention: the last path segment must start with 'announce',
    /// which becomes 'scrape'. Trackers whose URL does not follow it cannot be scraped.
    /// </summary>
    public static bool TryGetScrape(Uri announce, out Uri? scrape)
    {
        scrape = null;
        var path = announce.AbsolutePath;
        var slash = path.LastIndexOf('/');
        if (slash < 0 || !path.AsSpan(slash + 1).StartsWith("announce", StringComparison.Ordinal))
            return false;
        var builder = new UriBuilder(announce)
        {
            Path = string.Concat(path.AsSpan(0, slash + 1), "scrape", path.AsSpan(slash + 1 + "announce".Length)),
        };
        scrape = builder.Uri;
        return true;
    }

    public static Uri BuildScrape(Uri scrape, Metainfo.InfoHash infoHash)
    {
        var query = new StringBuilder(80);
        Append(query, "info_hash", infoHash.Span);
        return WithQuery(scrape, query);
    }

    public static string? EventName(TrackerEvent trackerEvent) => trackerEvent switch
    {
        TrackerEvent.Started => "started",
        TrackerEvent.Completed => "completed",
        TrackerEvent.Stopped => "stopped",
        _ => null,
    };

    /// <summary>RFC 3986 percent-encoding: unreserved characters stay, every other byte becomes %XX.</summary>
    public static string PercentEncode(ReadOnlySpan<byte> bytes)
    {
        var builder = new StringBuilder(bytes.Length * 3);
        AppendEncoded(builder, bytes);
        return builder.ToString();
    }

    private static Uri WithQuery(Uri baseUri, StringBuilder query)
    {
        // A tracker URL may carry its own query (private trackers put a passkey there): keep it.
        var text = baseUri.GetComponents(UriComponents.HttpRequestUrl & ~UriComponents.Fragment, UriFormat.UriEscaped);
        var separator = baseUri.Query.Length > 1 ? '&' : '?';
        var trimmed = text.EndsWith('?') ? text[..^1] : text;
        return new Uri(trimmed + separator + query, UriKind.Absolute);
    }

    private static void Append(StringBuilder query, string name, ReadOnlySpan<byte> value)
    {
        StartParameter(query, name);
        AppendEncoded(query, value);
    }

    private static void Append(StringBuilder query, string name, long value)
    {
        StartParameter(query, name);
        query.Append(value.ToString(CultureInfo.InvariantCulture));
    }

    private static void Append(StringBuilder query, string name, string asciiValue) =>
        Append(query, name, Encoding.ASCII.GetBytes(asciiValue));

    private static void StartParameter(StringBuilder query, string name)
    {
        if (query.Length > 0)
            query.Append('&');
        query.Append(name).Append('=');
    }

    private static void AppendEncoded(StringBuilder builder, ReadOnlySpan<byte> bytes)
    {
        foreach (var b in bytes)
        {
            if (IsUnreserved(b))
                builder.Append((char)b);
            else
                builder.Append('%').Append(b.ToString("X2", CultureInfo.InvariantCulture));
        }
    }

    private static bool IsUnreserved(byte b) =>
        b is >= (byte)'A' and <= (byte)'Z' or >= (byte)'a' and <= (byte)'z' or >= (byte)'0' and <= (byte)'9'
            or (byte)'-' or (byte)'.' or (byte)'_' or (byte)'~';
}
