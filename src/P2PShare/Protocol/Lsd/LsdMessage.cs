using System.Globalization;
using System.Text;
using P2PShare.Metainfo;

namespace P2PShare.Protocol.Lsd;

/// <summary>
/// Local Service Discovery (BEP 14): a "BT-SEARCH * HTTP/1.1" datagram multicast to 239.192.152.143:6771 (IPv4) or
/// [ff15::efc0:988f]:6771 (IPv6) naming our listen port, one or more info-hashes, and a cookie by which a client
/// recognises its own announces. Parsing is bounded: <see cref="MaxDatagramBytes"/>, <see cref="MaxHeaders"/>,
/// <see cref="MaxInfoHashes"/>; anything else is rejected with <see cref="LsdFormatException"/>.
/// </summary>
internal static class LsdMessage
{
    public const int Port = 6771;
    public const string IPv4Group = "239.192.152.143";
    public const string IPv6Group = "ff15::efc0:988f";
    public const int MaxDatagramBytes = 1400;
    public const int MaxHeaders = 24;
    public const int MaxInfoHashes = 16;
    private const string RequestLine = "BT-SEARCH * HTTP/1.1";

    /// <param name="host">The group and port, as it goes in the Host header ("239.192.152.143:6771" or "[ff15::efc0:988f]:6771").</param>
    public static byte[] Build(string host, int port, IReadOnlyCollection<InfoHash> infoHashes, string? cookie)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(port, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(port, 65535);
        if (infoHashes.Count is 0 or > MaxInfoHashes)
            throw new ArgumentException($"an announce names 1 to {MaxInfoHashes} info-hashes, not {infoHashes.Count}", nameof(infoHashes));
        if (cookie is not null && (cookie.Length is 0 or > 64 || cookie.Any(c => c is < '!' or > '~')))
            throw new ArgumentException("a cookie is 1 to 64 printable ASCII characters without spaces", nameof(cookie));
        var text = new StringBuilder();
        text.Append(RequestLine).Append("\r\n")
            .Append("Host: ").Append(host).Append("\r\n")
            .Append("Port: ").Append(port.ToString(CultureInfo.InvariantCulture)).Append("\r\n");
        foreach (var hash in infoHashes)
            text.Append("Infohash: ").Append(hash.ToString()).Append("\r\n");
        if (cookie is not null)
            text.Append("cookie: ").Append(cookie).Append("\r\n");
        text.Append("\r\n\r\n");
        return Encoding.ASCII.GetBytes(text.ToString());
    }

    public static LsdAnnounce Parse(ReadOnlySpan<byte> datagram)
    {
        if (datagram.Length > MaxDatagramBytes)
            throw new LsdFormatException($"LSD datagram of {datagram.Length} bytes (at most {MaxDatagramBytes})");
        foreach (var b in datagram)
            if (b is 0 or > 0x7E)
                throw new LsdFormatException("LSD datagram is not printable ASCII");
        var lines = Encoding.ASCII.GetString(datagram).Split("\r\n");
        if (lines[0] != RequestLine)
            throw new LsdFormatException("not a BT-SEARCH request");
        int? port = null;
        string? cookie = null;
        var hashes = new List<InfoHash>();
        var headers = 0;
        foreach (var line in lines.Skip(1))
        {
            if (line.Length == 0)
                break;
            if (++headers > MaxHeaders)
                throw new LsdFormatException($"LSD datagram with more than {MaxHeaders} headers");
            var colon = line.IndexOf(':');
            if (colon <= 0)
                throw new LsdFormatException($"LSD header without a colon: '{line}'");
            var name = line[..colon].Trim();
            var value = line[(colon + 1)..].Trim();
            if (name.Equals("Port", StringComparison.OrdinalIgnoreCase))
            {
                if (!int.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out var p) || p is < 1 or > 65535)
                    throw new LsdFormatException($"LSD port '{value}' is not 1..65535");
                port = p;
            }
            else if (name.Equals("Infohash", StringComparison.OrdinalIgnoreCase))
            {
                if (!InfoHash.TryParse(value, out var hash))
                    throw new LsdFormatException($"LSD info-hash '{value}' is not 40 hex digits");
                if (hashes.Count == MaxInfoHashes)
                    throw new LsdFormatException($"LSD datagram with more than {MaxInfoHashes} info-hashes");
                if (!hashes.Contains(hash))
                    hashes.Add(hash);
            }
            else if (name.Equals("cookie", StringComparison.OrdinalIgnoreCase))
            {
                cookie = value;
            }
        }
        if (port is null)
            throw new LsdFormatException("LSD datagram without a Port header");
        if (hashes.Count == 0)
            throw new LsdFormatException("LSD datagram without an Infohash header");
        return new LsdAnnounce(port.Value, hashes, cookie);
    }
}
