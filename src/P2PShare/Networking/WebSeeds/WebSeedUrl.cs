using System.Text;
using P2PShare.Metainfo;

namespace P2PShare.Networking.WebSeeds;

/// <summary>
/// Where a torrent's files are on a BEP 19 web seed. Single-file torrent: the URL is the file itself, unless it ends
/// in '/' (a directory), when the torrent's name is appended. Multi-file torrent: the URL is a directory holding the
/// torrent's root directory: URL/name/path/of/file. Every appended component is percent-encoded (UTF-8).
/// </summary>
internal static class WebSeedUrl
{
    /// <summary>The URL as a web seed base, or null for one that is not absolute http(s) (those are ignored).</summary>
    public static Uri? TryParseBase(string text)
    {
        if (!Uri.TryCreate(text, UriKind.Absolute, out var uri) || (uri.Scheme != Uri.UriSchemeHttp && uri.Scheme != Uri.UriSchemeHttps))
            return null;
        return string.IsNullOrEmpty(uri.Host) ? null : uri;
    }

    /// <summary>The URL of one file of the torrent on the web seed at <paramref name="seed"/>.</summary>
    public static Uri ForFile(Uri seed, Torrent torrent, TorrentFile file)
    {
        var text = seed.OriginalString;
        var isDirectory = text.EndsWith('/');
        if (!torrent.IsMultiFile)
            return isDirectory ? new Uri(text + Uri.EscapeDataString(torrent.Name)) : seed;
        var builder = new StringBuilder(text);
        if (!isDirectory)
            builder.Append('/');
        builder.Append(Uri.EscapeDataString(torrent.Name));
        foreach (var segment in file.PathSegments)
            builder.Append('/').Append(Uri.EscapeDataString(segment));
        return new Uri(builder.ToString());
    }
}
