using System.Text;

namespace P2PShare.Protocol.PortMapping;

/// <summary>
/// SSDP (UPnP device architecture 1.1, HTTP over UDP): the M-SEARCH a control point multicasts to 239.255.255.250:1900
/// and the unicast answer of a device. Answers are read within <see cref="MaxResponseBytes"/> and
/// <see cref="MaxHeaders"/>; anything else is rejected with <see cref="PortMappingProtocolException"/>.
/// </summary>
internal static class SsdpMessage
{
    public const int Port = 1900;
    public const string MulticastAddress = "239.255.255.250";
    public const string InternetGatewayDevice = "urn:schemas-upnp-org:device:InternetGatewayDevice:1";
    public const int MaxResponseBytes = 4096;
    public const int MaxHeaders = 32;

    /// <summary>An M-SEARCH for <paramref name="searchTarget"/>; devices answer within <paramref name="maxWaitSeconds"/> (MX, 1..5).</summary>
    public static byte[] BuildSearch(string searchTarget = InternetGatewayDevice, int maxWaitSeconds = 2)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(maxWaitSeconds, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(maxWaitSeconds, 5);
        if (searchTarget.AsSpan().IndexOfAny('\r', '\n') >= 0)
            throw new ArgumentException("a search target is one line", nameof(searchTarget));
        return Encoding.ASCII.GetBytes(
            "M-SEARCH * HTTP/1.1\r\n" +
            $"HOST: {MulticastAddress}:{Port}\r\n" +
            "MAN: \"ssdp:discover\"\r\n" +
            $"MX: {maxWaitSeconds}\r\n" +
            $"ST: {searchTarget}\r\n\r\n");
    }

    /// <summary>Reads a search answer ("HTTP/1.1 200 OK" and headers); returns its LOCATION, ST and USN.</summary>
    public static SsdpResponse ParseResponse(ReadOnlySpan<byte> datagram)
    {
        if (datagram.Length > MaxResponseBytes)
            throw new PortMappingProtocolException($"SSDP answer of {datagram.Length} bytes (at most {MaxResponseBytes})");
        var text = Encoding.ASCII.GetString(datagram);
        var lines = text.Split("\r\n");
        if (lines.Length == 0 || !lines[0].StartsWith("HTTP/1.", StringComparison.OrdinalIgnoreCase))
            throw new PortMappingProtocolException("not an SSDP search answer (no HTTP status line)");
        var status = lines[0].Split(' ', 3, StringSplitOptions.RemoveEmptyEntries);
        if (status.Length < 2 || status[1] != "200")
            throw new PortMappingProtocolException($"SSDP answer status '{lines[0]}'");
        string? location = null, searchTarget = null, usn = null;
        var headers = 0;
        foreach (var line in lines.Skip(1))
        {
            if (line.Length == 0)
                break;
            if (++headers > MaxHeaders)
                throw new PortMappingProtocolException($"SSDP answer with more than {MaxHeaders} headers");
            var colon = line.IndexOf(':');
            if (colon <= 0)
                continue;
            var name = line[..colon].Trim();
            var value = line[(colon + 1)..].Trim();
            if (name.Equals("LOCATION", StringComparison.OrdinalIgnoreCase))
                location = value;
            else if (name.Equals("ST", StringComparison.OrdinalIgnoreCase))
                searchTarget = value;
            else if (name.Equals("USN", StringComparison.OrdinalIgnoreCase))
                usn = value;
        }
        if (location is null || !Uri.TryCreate(location, UriKind.Absolute, out var uri) || uri.Scheme != Uri.UriSchemeHttp)
            throw new PortMappingProtocolException($"SSDP answer without an http LOCATION ('{location}')");
        return new SsdpResponse(uri, searchTarget ?? "", usn ?? "");
    }
}
