using System.Buffers;
using System.Text;
using System.Text.Json;
using P2PShare.Bencode;
using P2PShare.Cli.Rpc;
using P2PShare.Fuzz.Targets;
using P2PShare.Metainfo;
using P2PShare.Networking.Encryption;
using P2PShare.Networking.WebSeeds;
using P2PShare.Protocol.Dht;
using P2PShare.Protocol.Extensions;
using P2PShare.Protocol.Lsd;
using P2PShare.Protocol.Native;
using P2PShare.Protocol.PortMapping;
using P2PShare.Protocol.Tracker;
using P2PShare.Protocol.Utp;
using P2PShare.Protocol.Wire;

namespace P2PShare.Fuzz;

/// <summary>
/// Every parser of outside bytes, by name: the AFL++ driver (Program) and the in-process smoke of the tests
/// (tests/.../Hardening/Fuzzing, which links this file) run the same code. Each entry lets through only the parser's
/// documented errors.
/// </summary>
internal static class FuzzParsers
{
    private static bool Format(Exception error) => error is FormatException;

    private static bool Peer(Exception error) => error is PeerProtocolException or FormatException;

    private static bool Tracker(Exception error) => error is FormatException or TrackerException;

    private static bool PortMapping(Exception error) => error is PortMappingProtocolException or UpnpSoapFault;

    private static readonly Uri IgdLocation = new("http://127.0.0.1:5000/rootDesc.xml");

    public static FuzzParser Bencode { get; } = new("bencode", "any bencoded input (trackers, peers, DHT)", input => BencodeDecoder.Decode(input), Format);

    public static FuzzParser Torrent { get; } = new("torrent", ".torrent files, BEP 9 metadata", input => TorrentParser.Parse(input), Format);

    public static FuzzParser Magnet { get; } = new("magnet", "magnet links (UTF-8 text)", input => MagnetLink.Parse(Encoding.UTF8.GetString(input)), Format);

    public static FuzzParser WireMessages { get; } = new("wire-messages", "BEP 3/6/10/52 peer wire messages, framed", input =>
    {
        var buffer = new ReadOnlySequence<byte>(input);
        var limits = new FrameLimits(PieceCount: 100);
        while (MessageReader.TryRead(ref buffer, limits, out _))
        {
        }
    }, Peer);

    public static FuzzParser Handshake { get; } = new("handshake", "the 68-byte peer handshake", input => Protocol.Wire.Handshake.Parse(input), Peer);

    public static FuzzParser ExtensionHandshake { get; } = new("extension-handshake", "BEP 10 extended handshake", input => Protocol.Extensions.ExtensionHandshake.Parse(input), Peer);

    public static FuzzParser UtMetadata { get; } = new("ut_metadata", "BEP 9 ut_metadata messages", input => MetadataMessage.Parse(input), Peer);

    public static FuzzParser UtPex { get; } = new("ut_pex", "BEP 11 ut_pex messages", input => PexMessage.Parse(input), Peer);

    public static FuzzParser Krpc { get; } = new("krpc", "BEP 5 DHT datagrams", input => KrpcCodec.Decode(input), Format);

    public static FuzzParser TrackerHttp { get; } = new("tracker-http", "HTTP tracker announce and scrape bodies", input =>
    {
        try
        {
            HttpTrackerResponseParser.ParseScrape(input, new InfoHash(new byte[20]));
        }
        catch (Exception error) when (Tracker(error))
        {
        }
        HttpTrackerResponseParser.ParseAnnounce(input);
    }, Tracker);

    public static FuzzParser TrackerUdp { get; } = new("tracker-udp", "BEP 15 UDP tracker replies", input =>
    {
        UdpTrackerCodec.IsResponseTo(input, 7);
        try { UdpTrackerCodec.ReadConnectResponse(input, 7); } catch (Exception error) when (Tracker(error)) { }
        try { UdpTrackerCodec.ReadScrapeResponse(input, 7); } catch (Exception error) when (Tracker(error)) { }
        try { UdpTrackerCodec.ReadAnnounceResponse(input, 7, 16); } catch (Exception error) when (Tracker(error)) { }
        UdpTrackerCodec.ReadAnnounceResponse(input, 7, 4);
    }, Tracker);

    public static FuzzParser UtpHeader { get; } = new("utp-header", "BEP 29 uTP datagrams", input => UtpPacket.TryParse(input, out _, out _), Format);

    public static FuzzParser NativeJsonLines { get; } = new("native-json-lines", "the native protocol's JSON lines", input =>
    {
        var buffer = new ReadOnlySequence<byte>(input);
        var framer = new NativeLineFramer(1 << 16);
        while (framer.TryReadLine(ref buffer, out var line) == NativeLineStatus.Line)
            NativeMessageReader.TryParse(line, NativeCodecLimits.Default, out _, out _);
    }, Format);

    public static FuzzParser Lsd { get; } = new("lsd", "BEP 14 local service discovery datagrams", input => LsdMessage.Parse(input), error => error is LsdFormatException);

    public static FuzzParser HashMessages { get; } = new("hash-messages", "BEP 52 hash request / hashes / hash reject payloads", input =>
    {
        var payload = new ReadOnlySequence<byte>(input);
        try { Protocol.Wire.HashMessages.ParseRequest(payload); } catch (PeerProtocolException) { }
        Protocol.Wire.HashMessages.ParseHashes(payload, out _);
    }, Peer);

    public static FuzzParser NatPmp { get; } = new("nat-pmp", "NAT-PMP gateway answers", input =>
    {
        try { NatPmpPacket.ParseExternalAddressResponse(input); } catch (PortMappingProtocolException) { }
        NatPmpPacket.ParseMapResponse(input, TransportProtocol.Tcp);
    }, PortMapping);

    public static FuzzParser Pcp { get; } = new("pcp", "PCP gateway answers", input => PcpPacket.ParseMapResponse(input), PortMapping);

    public static FuzzParser Ssdp { get; } = new("ssdp", "SSDP search answers", input => SsdpMessage.ParseResponse(input), PortMapping);

    public static FuzzParser IgdDescription { get; } = new("igd-description", "UPnP IGD device descriptions (XML)", input => IgdDescriptionParser.Parse(input, IgdLocation), PortMapping);

    public static FuzzParser UpnpSoapAnswer { get; } = new("upnp-soap", "UPnP SOAP answers (XML)", input => UpnpSoap.ParseResponse(input), PortMapping);

    public static FuzzParser Mse { get; } = new("mse", "BEP 8 MSE/PE handshakes, accepting and dialling (Targets/MseFuzz)", MseFuzz.Run,
        error => error is MseHandshakeException);

    public static FuzzParser WebSeedResponse { get; } = new("webseed-response", "BEP 19 web seed HTTP answers (Targets/WebSeedFuzz)", WebSeedFuzz.Run,
        error => error is WebSeedException);

    public static FuzzParser RpcBody { get; } = new("rpc-body", "the daemon's RPC requests: auth header and JSON body (Targets/RpcFuzz)", RpcFuzz.Run,
        error => error is JsonException or RpcError);

    public static FuzzParser DaemonSettings { get; } = new("daemon-settings", "the daemon's settings.json, read at start and written back (Targets/DaemonSettingsFuzz)",
        DaemonSettingsFuzz.Run, error => error is Cli.UserErrorException);

    public static FuzzParser DaemonTorrents { get; } = new("daemon-torrents", "the daemon's torrents.json, restored at start (Targets/DaemonTorrentsFuzz)",
        DaemonTorrentsFuzz.Run, error => error is InvalidDataException);

    public static FuzzParser Resume { get; } = new("resume", "per-torrent resume files and the start-up decision (Targets/ResumeFuzz)", ResumeFuzz.Run, _ => false);

    public static FuzzParser DhtState { get; } = new("dht-state", "the DHT's state file dht.dat (Targets/DhtStateFuzz)", DhtStateFuzz.Run, _ => false);

    public static IReadOnlyList<FuzzParser> All { get; } =
    [
        Bencode, Torrent, Magnet, WireMessages, Handshake, ExtensionHandshake, UtMetadata, UtPex, Krpc, TrackerHttp, TrackerUdp,
        UtpHeader, NativeJsonLines, Lsd, HashMessages, NatPmp, Pcp, Ssdp, IgdDescription, UpnpSoapAnswer, Mse, WebSeedResponse, RpcBody,
        DaemonSettings, DaemonTorrents, Resume, DhtState,
    ];

    /// <summary>
    /// Not a parser: a target that crashes (InvalidOperationException) on any input starting with 'X', so that a test can
    /// prove afl-fuzz, scripts/fuzz and the CI check do report a crash. Not in <see cref="All"/>. It decodes the input as
    /// bencode first, so that afl-fuzz sees instrumented code run.
    /// </summary>
    public static FuzzParser SelfTest { get; } = new("self-test", "(checks the harness: crashes on inputs starting with 'X')", input =>
    {
        try
        {
            BencodeDecoder.Decode(input);
        }
        catch (FormatException)
        {
        }
        if (input.Length > 0 && input[0] == (byte)'X')
            throw new InvalidOperationException("self-test crash: the input starts with 'X'");
    }, Format);

    public static FuzzParser? Find(string name) =>
        All.Append(SelfTest).FirstOrDefault(parser => string.Equals(parser.Name, name, StringComparison.OrdinalIgnoreCase));
}
