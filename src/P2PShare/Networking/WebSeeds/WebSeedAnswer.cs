using System.Net;

namespace P2PShare.Networking.WebSeeds;

/// <summary>
/// Whether a web seed's status and headers answer a range request (pure: the values HttpClient parsed). 206 must name
/// exactly the range asked for (when it names one) and carry exactly its length (when it gives one); 200 is the whole
/// file, usable only when that is exactly the range; any other status is refused. The body's length is checked while it
/// is read (<see cref="WebSeedClient"/>).
/// </summary>
internal static class WebSeedAnswer
{
    /// <summary>Throws <see cref="WebSeedException"/> when the answer is not the range asked for.</summary>
    /// <param name="contentLength">Content-Length, null when absent or not a number.</param>
    /// <param name="rangeFrom">Content-Range's first byte, null when the header is absent, unparsable or has none.</param>
    /// <param name="rangeTo">Content-Range's last byte (inclusive), likewise.</param>
    public static void Check(Uri url, WebSeedRange range, HttpStatusCode status, string? reason, long? contentLength, long? rangeFrom, long? rangeTo)
    {
        if (status == HttpStatusCode.PartialContent)
        {
            if (rangeFrom is { } from && rangeTo is { } to && (from != range.FileOffset || to != range.FileOffset + range.Length - 1))
                throw new WebSeedException($"{url}: asked for {range.HeaderValue}, got bytes {from}-{to}");
            if (contentLength is { } partLength && partLength != range.Length)
                throw new WebSeedException($"{url}: asked for {range.Length} bytes, the answer has {partLength}");
            return;
        }
        if (status == HttpStatusCode.OK)
        {
            // A server without range support answers with the whole file: usable only if that is exactly the range.
            if (range.FileOffset == 0 && contentLength == range.Length)
                return;
            throw new WebSeedException($"{url}: the server ignored the range request (200 with {contentLength?.ToString(System.Globalization.CultureInfo.InvariantCulture) ?? "unknown"} bytes)");
        }
        throw new WebSeedException($"{url}: HTTP {(int)status} {reason}");
    }
}
