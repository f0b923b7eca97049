using System.Net;

namespace P2PShare.Networking.Native;

/// <summary>Reads the <c>host</c> of a peer-exchange entry: IPv4, IPv6 (bracketed or not) and IPv4-mapped IPv6.</summary>
internal static class NativeHostParser
{
    public static bool TryParse(string host, out IPAddress address)
    {
        var text = host.Trim();
        if (text.StartsWith('[') && text.EndsWith(']'))
            text = text[1..^1];
        if (!IPAddress.TryParse(text, out var parsed))
        {
            address = IPAddress.None;
            return false;
        }
        // An IPv4-mapped address is an IPv4 peer: dial it over IPv4 so dual-stack is not required.
        address = parsed.IsIPv4MappedToIPv6 ? parsed.MapToIPv4() : parsed;
        return !address.Equals(IPAddress.Any) && !address.Equals(IPAddress.IPv6Any) && !address.Equals(IPAddress.Broadcast);
    }
}
