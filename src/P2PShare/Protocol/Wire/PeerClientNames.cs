using System.Text;

namespace P2PShare.Protocol.Wire;

/// <summary>Names the client behind a peer id, from the common Azureus-style two-letter codes.</summary>
internal static class PeerClientNames
{
    private static readonly Dictionary<string, string> Known = new()
    {
        ["PS"] = "P2PShare", ["LT"] = "libtorrent", ["lt"] = "libTorrent (rakshasa)", ["TR"] = "Transmission",
        ["qB"] = "qBittorrent", ["DE"] = "Deluge", ["UT"] = "µTorrent", ["AZ"] = "Vuze", ["MO"] = "MonoTorrent",
        ["BT"] = "BitTorrent", ["WW"] = "WebTorrent", ["BC"] = "BitComet", ["KT"] = "KTorrent",
    };

    public static string Describe(ReadOnlySpan<byte> id)
    {
        if (id.Length >= 8 && id[0] == '-' && id[7] == '-')
        {
            var code = Encoding.ASCII.GetString(id.Slice(1, 2));
            var version = Encoding.ASCII.GetString(id.Slice(3, 4));
            var name = Known.GetValueOrDefault(code, code);
            return $"{name} {version}";
        }
        if (id.Length >= 4 && id.StartsWith("A2-"u8))
            return "aria2";
        var printable = Encoding.ASCII.GetString(id[..Math.Min(8, id.Length)]);
        return new string(printable.Select(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '.' ? c : '?').ToArray());
    }
}
