using System.Text;

namespace P2PShare.Metainfo;

/// <summary>A BEP 9 magnet URI: an info-hash plus optional name, trackers, web seeds and peer addresses.</summary>
public sealed record MagnetLink(
    InfoHash InfoHash,
    string? DisplayName,
    IReadOnlyList<string> Trackers,
    IReadOnlyList<string> WebSeeds,
    IReadOnlyList<string> PeerAddresses)
{
    private const string BtihPrefix = "urn:btih:";

    public static bool LooksLikeMagnet(string text) => text.StartsWith("magnet:?", StringComparison.OrdinalIgnoreCase);

    public static MagnetLink Parse(string uri)
    {
        if (!LooksLikeMagnet(uri))
            throw new MetainfoException("not a magnet link (it must start with 'magnet:?')");
        InfoHash? infoHash = null;
        string? name = null;
        List<string> trackers = [], webSeeds = [], peers = [];
        foreach (var part in uri["magnet:?".Length..].Split('&', StringSplitOptions.RemoveEmptyEntries))
        {
            var equals = part.IndexOf('=');
            if (equals <= 0)
                throw new MetainfoException($"magnet link parameter '{part}' has no value");
            var key = part[..equals];
            string value;
            try
            {
                value = Uri.UnescapeDataString(part[(equals + 1)..].Replace('+', ' '));
            }
            catch (UriFormatException)
            {
                throw new MetainfoException($"magnet link parameter '{key}' is not properly escaped");
            }
            switch (key)
            {
                case "xt" when value.StartsWith(BtihPrefix, StringComparison.OrdinalIgnoreCase):
                    var hashText = value[BtihPrefix.Length..];
                    if (!InfoHash.TryParse(hashText, out var parsed))
                        throw new MetainfoException($"magnet link info-hash '{hashText}' is neither 40 hex nor 32 base32 characters");
                    if (infoHash is not null && !infoHash.Equals(parsed))
                        throw new MetainfoException("magnet link has two different BitTorrent info-hashes");
                    infoHash = parsed;
                    break;
                case "dn":
                    name = value;
                    break;
                case "tr":
                    if (!trackers.Contains(value))
                        trackers.Add(value);
                    break;
                case "ws":
                    webSeeds.Add(value);
                    break;
                case "x.pe":
                    peers.Add(value);
                    break;
            }
        }
        if (infoHash is null)
            throw new MetainfoException("magnet link has no 'xt=urn:btih:' info-hash (BitTorrent v2-only magnets are not supported yet)");
        return new MagnetLink(infoHash, name, trackers, webSeeds, peers);
    }

    public override string ToString()
    {
        var builder = new StringBuilder("magnet:?xt=urn:btih:").Append(InfoHash.Hex);
        if (!string.IsNullOrEmpty(DisplayName))
            builder.Append("&dn=").Append(Uri.EscapeDataString(DisplayName));
        foreach (var tracker in Trackers)
            builder.Append("&tr=").Append(Uri.EscapeDataString(tracker));
        foreach (var seed in WebSeeds)
            builder.Append("&ws=").Append(Uri.EscapeDataString(seed));
        foreach (var peer in PeerAddresses)
            builder.Append("&x.pe=").Append(Uri.EscapeDataString(peer));
        return builder.ToString();
    }
}
