using System.Text;

namespace P2PShare.Metainfo;

/// <summary>A BEP 9 magnet URI: an info-hash plus optional name, trackers, web seeds and peer addresses.</summary>
internal sealed record MagnetLink(
    InfoHash InfoHash,
    string? DisplayName,
    IReadOnlyList<string> Trackers,
    IReadOnlyList<string> WebSeeds,
    IReadOnlyList<string> PeerAddresses)
{
    private const string BtihPrefix = "urn:btih:";

    /// <summary>BEP 52: a SHA-256 multihash (0x12, length 0x20) as 'urn:btmh:1220' + 64 hex characters.</summary>
    private const string BtmhPrefix = "urn:btmh:1220";

    /// <summary>The v2 info-hash of a v2 or hybrid magnet ('xt=urn:btmh:'); <see cref="InfoHash"/> is then its
    /// truncation unless the link also has a v1 'btih'.</summary>
    public InfoHashV2? InfoHashV2 { get; init; }

    public static bool LooksLikeMagnet(string text) => text.StartsWith("magnet:?", StringComparison.OrdinalIgnoreCase);

    public static MagnetLink Parse(string uri)
    {
        if (!LooksLikeMagnet(uri))
            throw new MetainfoException("not a magnet link (it must start with 'magnet:?')");
        InfoHash? infoHash = null;
        InfoHashV2? infoHashV2 = null;
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
                case "xt" when value.StartsWith(BtmhPrefix, StringComparison.OrdinalIgnoreCase):
                    var v2Text = value[BtmhPrefix.Length..];
                    if (!Metainfo.InfoHashV2.TryParse(v2Text, out var parsedV2))
                        throw new MetainfoException($"magnet link v2 info-hash '{v2Text}' is not 64 hex characters");
                    if (infoHashV2 is not null && !infoHashV2.Equals(parsedV2))
                        throw new MetainfoException("magnet link has two different v2 info-hashes");
                    infoHashV2 = parsedV2;
                    break;
                case "xt" when value.StartsWith("urn:btmh:", StringComparison.OrdinalIgnoreCase):
                    throw new MetainfoException("magnet link 'urn:btmh:' hash is not a SHA-256 multihash (1220...)");
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
        infoHash ??= infoHashV2?.Truncated;
        if (infoHash is null)
            throw new MetainfoException("magnet link has no 'xt=urn:btih:' info-hash (nor a v2 'xt=urn:btmh:1220' one)");
        return new MagnetLink(infoHash, name, trackers, webSeeds, peers) { InfoHashV2 = infoHashV2 };
    }

    public override string ToString()
    {
        var builder = new StringBuilder("magnet:?");
        var v2Only = InfoHashV2 is not null && InfoHashV2.Truncated.Equals(InfoHash);
        if (!v2Only)
            builder.Append("xt=urn:btih:").Append(InfoHash.Hex);
        if (InfoHashV2 is not null)
            builder.Append(v2Only ? "" : "&").Append("xt=").Append(BtmhPrefix).Append(InfoHashV2.Hex);
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
