using System.Buffers.Binary;
using System.Net;
using System.Text;
using P2PShare.Metainfo;

namespace P2PShare.Protocol.Tracker;

/// <summary>BEP 15 packets: requests are written into caller buffers, responses are checked and decoded.</summary>
internal static class UdpTrackerCodec
{
    public const long ProtocolId = 0x41727101980;
    public const int ConnectRequestLength = 16;
    public const int ConnectResponseLength = 16;
    public const int AnnounceRequestLength = 98;
    public const int AnnounceResponseHeaderLength = 20;
    public const int ScrapeResponseEntryLength = 12;
    public const int HeaderLength = 8;

    /// <summary>Large enough for any answer we accept; longer datagrams are truncated by the socket and refused.</summary>
    public const int MaxPacketLength = 64 * 1024;

    public enum Action
    {
        Connect = 0,
        Announce = 1,
        Scrape = 2,
        Error = 3,
    }

    public static int WriteConnectRequest(Span<byte> destination, int transactionId)
    {
        BinaryPrimitives.WriteInt64BigEndian(destination, ProtocolId);
        BinaryPrimitives.WriteInt32BigEndian(destination[8..], (int)Action.Connect);
        BinaryPrimitives.WriteInt32BigEndian(destination[12..], transactionId);
        return ConnectRequestLength;
    }

    public static int WriteAnnounceRequest(Span<byte> destination, long connectionId, int transactionId, AnnounceParameters parameters)
    {
        parameters.Validate();
        BinaryPrimitives.WriteInt64BigEndian(destination, connectionId);
        BinaryPrimitives.WriteInt32BigEndian(destination[8..], (int)Action.Announce);
        BinaryPrimitives.WriteInt32BigEndian(destination[12..], transactionId);
        parameters.InfoHash.Span.CopyTo(destination[16..]);
        parameters.PeerId.Span.CopyTo(destination[36..]);
        BinaryPrimitives.WriteInt64BigEndian(destination[56..], parameters.Downloaded);
        BinaryPrimitives.WriteInt64BigEndian(destination[64..], parameters.Left);
        BinaryPrimitives.WriteInt64BigEndian(destination[72..], parameters.Uploaded);
        BinaryPrimitives.WriteInt32BigEndian(destination[80..], (int)parameters.Event);
        BinaryPrimitives.WriteUInt32BigEndian(destination[84..], 0); // IP: let the tracker use the sender's
        BinaryPrimitives.WriteUInt32BigEndian(destination[88..], parameters.Key);
        BinaryPrimitives.WriteInt32BigEndian(destination[92..], parameters.NumWant < 0 ? -1 : parameters.NumWant);
        BinaryPrimitives.WriteUInt16BigEndian(destination[96..], (ushort)parameters.Port);
        return AnnounceRequestLength;
    }

    public static int WriteScrapeRequest(Span<byte> destination, long connectionId, int transactionId, InfoHash infoHash)
    {
        BinaryPrimitives.WriteInt64BigEndian(destination, connectionId);
        BinaryPrimitives.WriteInt32BigEndian(destination[8..], (int)Action.Scrape);
        BinaryPrimitives.WriteInt32BigEndian(destination[12..], transactionId);
        infoHash.Span.CopyTo(destination[16..]);
        return 16 + InfoHash.Length;
    }

    /// <summary>Whether a datagram answers the request with this transaction id; others are ignored, not errors.</summary>
    public static bool IsResponseTo(ReadOnlySpan<byte> packet, int transactionId) =>
        packet.Length >= HeaderLength && BinaryPrimitives.ReadInt32BigEndian(packet[4..]) == transactionId;

    public static long ReadConnectResponse(ReadOnlySpan<byte> packet, int transactionId)
    {
        CheckHeader(packet, transactionId, Action.Connect, ConnectResponseLength);
        return BinaryPrimitives.ReadInt64BigEndian(packet[8..]);
    }

    /// <param name="addressLength">4 when the tracker was reached over IPv4, 16 over IPv6 (BEP 15 ties the peer size to it).</param>
    public static TrackerAnnounceReply ReadAnnounceResponse(ReadOnlySpan<byte> packet, int transactionId, int addressLength)
    {
        CheckHeader(packet, transactionId, Action.Announce, AnnounceResponseHeaderLength);
        var interval = ReadNonNegative(packet[8..], "interval");
        var leechers = ReadNonNegative(packet[12..], "leechers");
        var seeders = ReadNonNegative(packet[16..], "seeders");
        var peers = new List<IPEndPoint>();
        CompactPeerList.Parse(packet[AnnounceResponseHeaderLength..], addressLength, peers);
        return new TrackerAnnounceReply(interval, null, peers, seeders, leechers, null, null);
    }

    public static ScrapeStats ReadScrapeResponse(ReadOnlySpan<byte> packet, int transactionId)
    {
        CheckHeader(packet, transactionId, Action.Scrape, HeaderLength + ScrapeResponseEntryLength);
        return new ScrapeStats(
            Seeders: ReadNonNegative(packet[8..], "seeders"),
            Completed: ReadNonNegative(packet[12..], "completed"),
            Leechers: ReadNonNegative(packet[16..], "leechers"));
    }

    public static int WriteErrorResponse(Span<byte> destination, int transactionId, string message)
    {
        BinaryPrimitives.WriteInt32BigEndian(destination, (int)Action.Error);
        BinaryPrimitives.WriteInt32BigEndian(destination[4..], transactionId);
        return HeaderLength + Encoding.UTF8.GetBytes(message, destination[HeaderLength..]);
    }

    private static void CheckHeader(ReadOnlySpan<byte> packet, int transactionId, Action expected, int minimumLength)
    {
        if (!IsResponseTo(packet, transactionId))
            throw new TrackerProtocolException($"UDP answer of {packet.Length} bytes does not carry our transaction id");
        var action = BinaryPrimitives.ReadInt32BigEndian(packet);
        if (action == (int)Action.Error)
        {
            var text = packet[HeaderLength..];
            throw new TrackerFailureException(Encoding.UTF8.GetString(text[..Math.Min(text.Length, 1024)]));
        }
        if (action != (int)expected)
            throw new TrackerProtocolException($"UDP answer has action {action}, expected {(int)expected} ({expected})");
        if (packet.Length < minimumLength)
            throw new TrackerProtocolException($"UDP {expected} answer is {packet.Length} bytes, at least {minimumLength} expected");
    }

    private static int ReadNonNegative(ReadOnlySpan<byte> field, string name)
    {
        var value = BinaryPrimitives.ReadInt32BigEndian(field);
        return value >= 0 ? value : throw new TrackerProtocolException($"UDP answer has a negative {name} ({value})");
    }
}
