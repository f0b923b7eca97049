using P2PShare.Protocol.Extensions;
using P2PShare.Protocol.Wire;

namespace P2PShare.Engine;

/// <summary>What we say in BEP 10 extended handshakes, and the ids we chose for the extensions we receive.</summary>
internal static class ExtensionSupport
{
    /// <summary>The id peers send ut_metadata messages to us under (our choice, announced in our 'm').</summary>
    public const byte LocalUtMetadataId = 2;

    /// <summary>The id peers send ut_pex messages to us under; announced only for public torrents (BEP 27).</summary>
    public const byte LocalUtPexId = 1;

    public const string UtPex = "ut_pex";

    public const string ClientName = "P2PShare 0.1";

    /// <summary>The reserved bits of our BitTorrent handshake: BEP 10 and the Fast extension (BEP 6).</summary>
    public const ulong Reserved = Handshake.ExtensionProtocolBit | Handshake.FastExtensionBit;

    public static bool Supports(Handshake remote) => (remote.Reserved & Handshake.ExtensionProtocolBit) != 0;

    /// <summary>
    /// Our extended handshake as a whole frame; <paramref name="metadataSize"/> only once we have the metadata;
    /// ut_pex only when <paramref name="offerPex"/> (a public torrent whose metadata we have).
    /// </summary>
    /// <param name="yourIp">The peer's address as we see it (BEP 10 'yourip'), told so it can learn its external address.</param>
    public static byte[] HandshakeFrame(long? metadataSize, int? listenPort, bool offerPex = false, System.Net.IPAddress? yourIp = null)
    {
        var messages = new Dictionary<string, byte> { [ExtensionHandshake.UtMetadata] = LocalUtMetadataId };
        if (offerPex)
            messages[UtPex] = LocalUtPexId;
        return ExtendedMessage.Frame(ExtendedMessage.HandshakeId, new ExtensionHandshake
        {
            Messages = messages,
            MetadataSize = metadataSize,
            ClientName = ClientName,
            ListenPort = listenPort is > 0 and <= 65535 ? listenPort : null,
            RequestQueue = PeerSession.MaxPendingUploads / 2,
            YourIp = yourIp,
        }.Encode());
    }

    public static byte[] MetadataFrame(byte remoteId, in MetadataMessage message) => ExtendedMessage.Frame(remoteId, message.Encode());
}
