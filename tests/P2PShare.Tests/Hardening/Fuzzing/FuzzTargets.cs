using System.Text;
using P2PShare.Fuzz;
using P2PShare.Tests.Metainfo;

namespace P2PShare.Tests.Hardening.Fuzzing;

/// <summary>
/// The parsers of the in-process smoke (the first 13 of <see cref="FuzzParsers.All"/>, the scripted mse,
/// webseed-response and rpc-body targets, and the state-file targets daemon-settings, daemon-torrents, resume and dht-state;
/// scripts/fuzz runs them all under AFL++), with seeds made by our own encoders (valid inputs to mutate from; the scripted
/// and state-file targets' seeds are their fuzz/corpus files, which the smoke adds).
/// </summary>
public static class FuzzTargets
{
    private static byte[] Ascii(string text) => Encoding.ASCII.GetBytes(text);

    public static IReadOnlyList<FuzzTarget> All { get; } =
    [
        new(FuzzParsers.Bencode, [Ascii("d3:cow3:moo4:spaml1:a1:bee"), Ascii("li-42ei0e5:helloe"), Ascii("d1:ad1:bd1:cleeee")]),

        new(FuzzParsers.Torrent,
            [TorrentBuilder.Torrent(TorrentBuilder.SingleFileInfo()), TorrentBuilder.Torrent(TorrentBuilder.MultiFileInfo((["a", "b.bin"], 20_000), (["c"], 5)))]),

        new(FuzzParsers.Magnet,
            [Ascii("magnet:?xt=urn:btih:c12fe1c06bba254a9dc9f519b335aa7c1367a88a&dn=name&tr=http%3A%2F%2F127.0.0.1%3A1%2Fa&x.pe=127.0.0.1:6881"),
             Ascii("magnet:?xt=urn:btih:YEX6BQDLUJKUVHOJ6UM3GNNKPQJWPKEK&ws=http://127.0.0.1/f")]),

        new(FuzzParsers.WireMessages,
            [[0, 0, 0, 0, 0, 0, 0, 1, 2, 0, 0, 0, 5, 4, 0, 0, 0, 7, 0, 0, 0, 14, 5, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 240],
             [0, 0, 0, 13, 6, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 64, 0, 0, 0, 0, 9, 7, 0, 0, 0, 1, 0, 0, 0, 0, 42]]),

        new(FuzzParsers.Handshake,
            [[19, .. Ascii("BitTorrent protocol"), 0, 0, 0, 0, 0, 16, 0, 5, .. new byte[20], .. Ascii("-P20000-abcdefghijkl")]]),

        new(FuzzParsers.ExtensionHandshake,
            [Ascii("d1:md11:ut_metadatai1e6:ut_pexi2ee13:metadata_sizei31235e1:pi6881e1:v13:P2PShare 0.1ee")]),

        new(FuzzParsers.UtMetadata,
            [Ascii("d8:msg_typei1e5:piecei0e10:total_sizei3eexyz"), Ascii("d8:msg_typei0e5:piecei3ee")]),

        new(FuzzParsers.UtPex,
            [Ascii("d5:added12:\x7f\0\0\x01\x1a\xe1\x7f\0\0\x02\x1a\xe17:added.f2:\x10\x027:dropped0:e")]),

        new(FuzzParsers.Krpc,
            [Ascii("d1:ad2:id20:abcdefghij0123456789e1:q4:ping1:t2:aa1:y1:qe"),
             Ascii("d1:rd2:id20:mnopqrstuvwxyz1234565:nodes26:abcdefghij0123456789\x7f\0\0\x01\x1a\xe1e1:t2:aa1:y1:re"),
             Ascii("d1:eli201e23:A Generic Error Ocurrede1:t2:aa1:y1:ee")]),

        new(FuzzParsers.TrackerHttp,
            [Ascii("d8:intervali1800e5:peers12:\x7f\0\0\x01\x1a\xe1\x7f\0\0\x02\x1a\xe1e"),
             Ascii("d8:intervali900e5:peersld2:ip9:127.0.0.14:porti6881eeee"), Ascii("d14:failure reason6:go awaye")]),

        new(FuzzParsers.TrackerUdp,
            [[0, 0, 0, 1, 0, 0, 0, 7, 0, 0, 7, 8, 0, 0, 0, 2, 0, 0, 0, 3, 127, 0, 0, 1, 0x1a, 0xe1],
             [0, 0, 0, 0, 0, 0, 0, 7, 1, 2, 3, 4, 5, 6, 7, 8], [0, 0, 0, 3, 0, 0, 0, 7, .. Ascii("nope")]]),

        new(FuzzParsers.UtpHeader,
            [[0x21, 1, 0x30, 0x39, 0, 0, 0, 1, 0, 0, 0, 2, 0, 0x10, 0, 0, 0, 5, 0, 4, 0, 0, 0, 4, 0xff, 0, 0, 0],
             [0x01, 0, 0x30, 0x39, 0, 0, 0, 1, 0, 0, 0, 2, 0, 0x10, 0, 0, 0, 5, 0, 4, .. Ascii("data")]]),

        new(FuzzParsers.NativeJsonLines,
            [Ascii("{\"type\":\"have\",\"piece\":3}\n{\"type\":\"request\",\"piece\":1,\"offset\":0,\"length\":16384}\n{\"type\":\"keepalive\"}\n")]),

        new(FuzzParsers.Mse, []),

        new(FuzzParsers.WebSeedResponse, []),

        new(FuzzParsers.RpcBody, []),

        new(FuzzParsers.DaemonSettings, []),

        new(FuzzParsers.DaemonTorrents, []),

        new(FuzzParsers.Resume, []),

        new(FuzzParsers.DhtState, []),
    ];
}
