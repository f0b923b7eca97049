using System.Buffers;
using P2PShare.Bencode;

namespace P2PShare.Metainfo;

/// <summary>Writes a parsed torrent back out as a .torrent file, the info dictionary byte for byte as it was (so the info-hash stays).</summary>
internal static class TorrentFileWriter
{
    public static byte[] Encode(Torrent torrent)
    {
        ArgumentNullException.ThrowIfNull(torrent);
        var writer = new ArrayBufferWriter<byte>();
        writer.Write("d"u8);
        // Keys in bencode's sorted order: announce, announce-list, info, piece layers, url-list.
        if (torrent.AnnounceTiers.Count > 0)
        {
            Pair(writer, "announce", new BString(torrent.AnnounceTiers[0][0]));
            Pair(writer, "announce-list", new BList(torrent.AnnounceTiers.Select(tier => (BValue)new BList(tier.Select(url => (BValue)new BString(url))))));
        }
        BencodeEncoder.Encode(new BString("info"), writer);
        writer.Write(torrent.InfoBytes.Span);
        if (torrent.V2 is { PieceLayers.Count: > 0 } v2)
        {
            var layers = new BDictionary();
            foreach (var (root, layer) in v2.PieceLayers)
                layers.Set(new BString(Convert.FromHexString(root)), new BString(layer));
            Pair(writer, "piece layers", layers);
        }
        if (torrent.WebSeeds.Count > 0)
            Pair(writer, "url-list", new BList(torrent.WebSeeds.Select(url => (BValue)new BString(url))));
        writer.Write("e"u8);
        return writer.WrittenSpan.ToArray();
    }

    private static void Pair(ArrayBufferWriter<byte> writer, string key, BValue value)
    {
        BencodeEncoder.Encode(new BString(key), writer);
        BencodeEncoder.Encode(value, writer);
    }
}
