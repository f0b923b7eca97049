using System.Globalization;
using System.Text;

namespace P2PShare.Protocol.Wire;

/// <summary>
/// Names the client behind a peer id. Azureus style ("-LT2080-": two letters, four version characters) is read as
/// most clients write it: each character one version part (0-9, then A-Z for 10-35, a-z for 36-61, as libtorrent
/// does), "2080" = 2.0.8 with a zero fourth part left out; Transmission before 4 wrote major, then two minor digits
/// ("-TR3000-" = 3.00). aria2 writes "A2-1-36-0-" (= 1.36.0).
/// </summary>
internal static class PeerClientNames
{
    private static readonly Dictionary<string, string> Known = new()
    {
        ["PS"] = "P2PShare", ["LT"] = "libtorrent", ["lt"] = "libTorrent (rakshasa)", ["TR"] = "Transmission",
        ["qB"] = "qBittorrent", ["DE"] = "Deluge", ["UT"] = "µTorrent", ["UM"] = "µTorrent Mac", ["AZ"] = "Vuze",
        ["MO"] = "MonoTorrent", ["BT"] = "BitTorrent", ["WW"] = "WebTorrent", ["BC"] = "BitComet", ["KT"] = "KTorrent",
        ["BI"] = "BiglyBT", ["FD"] = "Free Download Manager", ["TX"] = "Tixati", ["RT"] = "rTorrent",
    };

    public static string Describe(ReadOnlySpan<byte> id)
    {
        if (id.Length >= 8 && id[0] == '-' && id[7] == '-' && IsPrintable(id[1..7]))
        {
            var code = Encoding.ASCII.GetString(id.Slice(1, 2));
            var name = Known.GetValueOrDefault(code, code);
            return $"{name} {AzureusVersion(code, id.Slice(3, 4))}";
        }
        if (id.Length >= 4 && id.StartsWith("A2-"u8))
            return AriaName(id);
        var printable = Encoding.ASCII.GetString(id[..Math.Min(8, id.Length)]);
        return new string(printable.Select(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '.' ? c : '?').ToArray());
    }

    private static string AzureusVersion(string code, ReadOnlySpan<byte> chars)
    {
        // Transmission 0.x-3.x: major digit, then the minor as two digits; 'Z' (or 'X') at the end marks a development build.
        if (code == "TR" && chars[0] is >= (byte)'0' and <= (byte)'3' && IsDigits(chars[1..3]))
        {
            var dev = chars[3] is (byte)'Z' or (byte)'X' ? "+" : "";
            return $"{(char)chars[0]}.{(char)chars[1]}{(char)chars[2]}{dev}";
        }
        var parts = new List<string>(4);
        for (var i = 0; i < 4; i++)
        {
            // The fourth character: a digit, or a build tag letter; the first three may go past 9 (libtorrent 1.2.10 = "12A0").
            if ((i < 3 || chars[i] is >= (byte)'0' and <= (byte)'9') && Digit(chars[i]) is { } value)
            {
                parts.Add(value.ToString(CultureInfo.InvariantCulture));
                continue;
            }
            // A letter at the end is a build tag (µTorrent's "355B"; 'Z' or 'X': a development build).
            if (i == 3)
                return string.Join('.', parts) + (chars[3] is (byte)'Z' or (byte)'X' ? "+" : "");
            return Encoding.ASCII.GetString(chars);
        }
        if (parts[3] == "0")
            parts.RemoveAt(3);
        return string.Join('.', parts);
    }

    private static int? Digit(byte c) => c switch
    {
        >= (byte)'0' and <= (byte)'9' => c - '0',
        >= (byte)'A' and <= (byte)'Z' => c - 'A' + 10,
        >= (byte)'a' and <= (byte)'z' => c - 'a' + 36,
        _ => null,
    };

    private static string AriaName(ReadOnlySpan<byte> id)
    {
        // "A2-" MAJOR "-" MINOR "-" PATCH "-" then random bytes.
        var text = Encoding.ASCII.GetString(id[3..]);
        var parts = text.Split('-');
        return parts.Length >= 4 && parts.Take(3).All(p => p.Length is > 0 and < 4 && p.All(char.IsAsciiDigit))
            ? $"aria2 {parts[0]}.{parts[1]}.{parts[2]}"
            : "aria2";
    }

    private static bool IsDigits(ReadOnlySpan<byte> chars)
    {
        foreach (var c in chars)
            if (c is < (byte)'0' or > (byte)'9')
                return false;
        return true;
    }

    private static bool IsPrintable(ReadOnlySpan<byte> chars)
    {
        foreach (var c in chars)
            if (c is < 0x21 or > 0x7e)
                return false;
        return true;
    }
}
