using System.Net;
using System.Text;
using P2PShare.Bencode;
using P2PShare.Metainfo;

namespace P2PShare.Protocol.Tracker;

/// <summary>Decodes HTTP tracker bodies (BEP 3, 7, 23, 48) into records; throws a <see cref="TrackerException"/> on anything else.</summary>
internal static class HttpTrackerResponseParser
{
    /// <summary>A sane upper bound for peer dictionaries; compact lists are bounded by the body size.</summary>
    public const int MaxDictionaryPeers = 10_000;

    public static TrackerAnnounceReply ParseAnnounce(ReadOnlyMemory<byte> body)
    {
        var root = DecodeDictionary(body);
        ThrowIfFailure(root);

        var peers = new List<IPEndPoint>();
        switch (root["peers"])
        {
            case BString compact:
                CompactPeerList.Parse(compact.Span, 4, peers);
                break;
            case BList dictionaries:
                ReadPeerDictionaries(dictionaries, peers);
                break;
            case null:
                break;
            default:
                throw new TrackerProtocolException("'peers' is neither a string nor a list");
        }
        if (root["peers6"] is BString compact6)
            CompactPeerList.Parse(compact6.Span, 16, peers);

        return new TrackerAnnounceReply(
            IntervalSeconds: ReadCount(root, "interval"),
            MinIntervalSeconds: ReadCount(root, "min interval"),
            Peers: peers,
            Complete: ReadCount(root, "complete"),
            Incomplete: ReadCount(root, "incomplete"),
            WarningMessage: ReadText(root, "warning message"),
            TrackerId: ReadText(root, "tracker id"));
    }

    /// <summary>Reads one torrent's entry from a scrape answer ('files' keyed by raw info-hash).</summary>
    public static ScrapeStats ParseScrape(ReadOnlyMemory<byte> body, InfoHash infoHash)
    {
        var root = DecodeDictionary(body);
        ThrowIfFailure(root);
        if (root["files"] is not BDictionary files)
            throw new TrackerProtocolException("scrape answer has no 'files' dictionary");
        var entry = files.FirstOrDefault(pair => pair.Key.Span.SequenceEqual(infoHash.Span)).Value;
        if (entry is not BDictionary stats)
            throw new TrackerProtocolException("scrape answer does not list this torrent");
        return new ScrapeStats(
            ReadCount(stats, "complete") ?? 0,
            ReadCount(stats, "downloaded") ?? 0,
            ReadCount(stats, "incomplete") ?? 0);
    }

    private static BDictionary DecodeDictionary(ReadOnlyMemory<byte> body)
    {
        if (body.IsEmpty)
            throw new TrackerProtocolException("empty answer");
        BValue root;
        try
        {
            root = BencodeDecoder.Decode(body);
        }
        catch (BencodeException error)
        {
            throw new TrackerProtocolException($"answer is not bencode ({error.Message}); it starts with \"{Preview(body.Span)}\"", error);
        }
        return root as BDictionary ?? throw new TrackerProtocolException("answer is not a bencoded dictionary");
    }

    private static void ThrowIfFailure(BDictionary root)
    {
        if (root["failure reason"] is BString reason)
            throw new TrackerFailureException(reason.Text);
    }

    private static void ReadPeerDictionaries(BList list, List<IPEndPoint> peers)
    {
        if (list.Count > MaxDictionaryPeers)
            throw new TrackerProtocolException($"{list.Count} peers in one answer is more than the limit of {MaxDictionaryPeers}");
        foreach (var item in list)
        {
            // One bad entry does not spoil the others; a tracker's list is advice, not a contract.
            if (item is not BDictionary peer
                || peer["ip"] is not BString ip
                || peer["port"] is not BInteger port
                || port.Value is <= 0 or > ushort.MaxValue
                || !IPAddress.TryParse(ip.Text, out var address))
                continue;
            peers.Add(new IPEndPoint(address, (int)port.Value));
        }
    }

    private static int? ReadCount(BDictionary dictionary, string key)
    {
        if (dictionary[key] is not BInteger integer)
            return null;
        if (integer.Value < 0)
            throw new TrackerProtocolException($"'{key}' is negative ({integer.Value})");
        return (int)Math.Min(int.MaxValue, integer.Value);
    }

    private static string? ReadText(BDictionary dictionary, string key) =>
        dictionary[key] is BString text ? TrackerException.Quote(text.Text) : null;

    /// <summary>The first bytes of an unreadable answer, printable, for the log ("&lt;html&gt;..." says a lot).</summary>
    internal static string Preview(ReadOnlySpan<byte> body)
    {
        var head = body[..Math.Min(body.Length, 40)];
        var builder = new StringBuilder(head.Length);
        foreach (var b in head)
            builder.Append(b is >= 0x20 and < 0x7f ? (char)b : '.');
        return builder.ToString();
    }
}
