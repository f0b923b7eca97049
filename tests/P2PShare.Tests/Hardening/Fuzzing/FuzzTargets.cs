using System.Buffers;
using System.Text;
using P2PShare.Bencode;
using P2PShare.Metainfo;
using P2PShare.Protocol.Dht;
using P2PShare.Protocol.Extensions;
using P2PShare.Protocol.Native;
using P2PShare.Protocol.Tracker;
using P2PShare.Protocol.Utp;
using P2PShare.Protocol.Wire;
using P2PShare.Tests.Metainfo;

namespace P2PShare.Tests.Hardening.Fuzzing;

/// <summary>Every parser of outside bytes, with seeds made by our own encoders (valid inputs to mutate from).</summary>
public static class FuzzTargets
{
    private static bool Format(Exception error) => error is FormatException;

    private static bool Peer(Exception error) => error is PeerProtocolException or FormatException;

    private static byte[] Ascii(string text) => Encoding.ASCII.GetBytes(text);

    public static IReadOnlyList<FuzzTarget> All { get; } =
    [
        new("bencode", input => BencodeDecoder.Decode(input),
            [Ascii("d3:cow3:moo4:spaml1:a1:bee"), Ascii("li-42ei0e5:helloe"), Ascii("d1:ad1:bd1:cleeee")], Format),

        new("torrent", input => TorrentParser.Parse(input),
            [TorrentBuilder.Torrent(TorrentBuilder.SingleFileInfo()), TorrentBuilder.Torrent(TorrentBuilder.MultiFileInfo((["a", "b.bin"], 20_000), (["c"], 5)))],
            Format),

        new("magnet", input => MagnetLink.Parse(Encoding.UTF8.GetString(input)),
            [Ascii("magnet:?xt=urn:btih:c12fe1c06bba254a9dc9f519b335aa7c1367a88a&dn=name&tr=http%3A%2F%2F127.0.0.1%3A1%2Fa&x.pe=127.0.0.1:6881"),
             Ascii("magnet:?xt=urn:btih:YEX6BQDLUJKUVHOJ6UM3GNNKPQJWPKEK&ws=http://127.0.0.1/f")],
            Format),

        new("wire messages", input =>
            {
                var buffer = new ReadOnlySequence<byte>(input);
                var limits = new FrameLimits(PieceCount: 100);
                while (MessageReader.TryRead(ref buffer, limits, out _))
                {
                }
            },
            [[0, 0, 0, 0, 0, 0, 0, 1, 2, 0, 0, 0, 5, 4, 0, 0, 0, 7, 0, 0, 0, 14, 5, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 240],
             [0, 0, 0, 13, 6, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 64, 0, 0, 0, 0, 9, 7, 0, 0, 0, 1, 0, 0, 0, 0, 42]],
            error => error is PeerProtocolException or FormatException),

        new("handshake", input => Handshake.Parse(input),
            [[19, .. Ascii("BitTorrent protocol"), 0, 0, 0, 0, 0, 16, 0, 5, .. new byte[20], .. Ascii("-P20000-abcdefghijkl")]],
            error => error is PeerProtocolException or FormatException),

        new("extension handshake", input => ExtensionHandshake.Parse(input),
            [Ascii("d1:md11:ut_metadatai1e6:ut_pexi2ee13:metadata_sizei31235e1:pi6881e1:v13:P2PShare 0.1ee")], Peer),

        new("ut_metadata", input => MetadataMessage.Parse(input),
            [Ascii("d8:msg_typei1e5:piecei0e10:total_sizei3eexyz"), Ascii("d8:msg_typei0e5:piecei3ee")], Peer),

        new("ut_pex", input => PexMessage.Parse(input),
            [Ascii("d5:added12:\x7f\0\0\x01\x1a\xe1\x7f\0\0\x02\x1a\xe17:added.f2:\x10\x027:dropped0:e")], Peer),

        new("KRPC", input => KrpcCodec.Decode(input),
            [Ascii("d1:ad2:id20:abcdefghij0123456789e1:q4:ping1:t2:aa1:y1:qe"),
             Ascii("d1:rd2:id20:mnopqrstuvwxyz1234565:nodes26:abcdefghij0123456789\x7f\0\0\x01\x1a\xe1e1:t2:aa1:y1:re"),
             Ascii("d1:eli201e23:A Generic Error Ocurrede1:t2:aa1:y1:ee")],
            Format),

        new("tracker HTTP reply", input => HttpTrackerResponseParser.ParseAnnounce(input),
            [Ascii("d8:intervali1800e5:peers12:\x7f\0\0\x01\x1a\xe1\x7f\0\0\x02\x1a\xe1e"),
             Ascii("d8:intervali900e5:peersld2:ip9:127.0.0.14:porti6881eeee"), Ascii("d14:failure reason6:go awaye")],
            error => error is FormatException or TrackerException),

        new("tracker UDP reply", input =>
            {
                UdpTrackerCodec.IsResponseTo(input, 7);
                try { UdpTrackerCodec.ReadConnectResponse(input, 7); } catch (Exception error) when (error is FormatException or TrackerException) { }
                try { UdpTrackerCodec.ReadScrapeResponse(input, 7); } catch (Exception error) when (error is FormatException or TrackerException) { }
                UdpTrackerCodec.ReadAnnounceResponse(input, 7, 4);
            },
            [[0, 0, 0, 1, 0, 0, 0, 7, 0, 0, 7, 8, 0, 0, 0, 2, 0, 0, 0, 3, 127, 0, 0, 1, 0x1a, 0xe1],
             [0, 0, 0, 0, 0, 0, 0, 7, 1, 2, 3, 4, 5, 6, 7, 8], [0, 0, 0, 3, 0, 0, 0, 7, .. Ascii("nope")]],
            error => error is FormatException or TrackerException),

        new("uTP header", input => UtpPacket.TryParse(input, out _, out _),
            [[0x21, 1, 0x30, 0x39, 0, 0, 0, 1, 0, 0, 0, 2, 0, 0x10, 0, 0, 0, 5, 0, 4, 0, 0, 0, 4, 0xff, 0, 0, 0],
             [0x01, 0, 0x30, 0x39, 0, 0, 0, 1, 0, 0, 0, 2, 0, 0x10, 0, 0, 0, 5, 0, 4, .. Ascii("data")]],
            Format),

        new("native JSON lines", input =>
            {
                var buffer = new ReadOnlySequence<byte>(input);
                while (NativeLineFramer.TryReadLine(ref buffer, 1 << 16, out var line) == NativeLineStatus.Line)
                    NativeMessageReader.TryParse(line, NativeCodecLimits.Default, out _, out _);
            },
            [Ascii("{\"type\":\"have\",\"piece\":3}\n{\"type\":\"request\",\"piece\":1,\"offset\":0,\"length\":16384}\n{\"type\":\"keepalive\"}\n")],
            Format),
    ];
}
