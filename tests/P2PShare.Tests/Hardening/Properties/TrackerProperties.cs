using System.Net;
using FsCheck;
using FsCheck.Fluent;
using P2PShare.Protocol.Dht;
using P2PShare.Protocol.Tracker;

namespace P2PShare.Tests.Hardening.Properties;

/// <summary>FsCheck: compact peer lists (trackers, PEX, DHT values) and UDP tracker error replies survive encode → parse.</summary>
[TestFixture]
public sealed class TrackerProperties
{
    private static Gen<string> PlainText { get; } =
        Gen.Choose(0, 200).SelectMany(length => Gen.ArrayOf(Gen.Elements("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789 .,".ToCharArray()), length))
            .Select(chars => new string(chars));

    [Test]
    public void CompactIPv4PeerListsRoundTrip() => PropertyCheck.ForAll(Generators.ListOf(Generators.IPv4EndPoint, 200).Select(list => list.ToList()), peers =>
        CompactPeerList.ParseIPv4(CompactPeerList.Encode(peers, 4)).SequenceEqual(peers));

    [Test]
    public void CompactIPv6PeerListsRoundTrip() => PropertyCheck.ForAll(Generators.ListOf(Generators.IPv6EndPoint, 200).Select(list => list.ToList()), peers =>
        CompactPeerList.ParseIPv6(CompactPeerList.Encode(peers, 16)).SequenceEqual(peers));

    [Test]
    public void DhtCompactPeersRoundTrip() => PropertyCheck.ForAll(Generators.IPv4EndPoint, peer =>
        peer.Equals(CompactDhtEncoding.ReadPeer(CompactDhtEncoding.EncodePeer(peer))));

    [Test]
    public void UdpTrackerErrorRepliesCarryTheirMessage() => PropertyCheck.ForAll(Gen.Zip(Generators.Int, PlainText), fields =>
    {
        var (transactionId, message) = fields;
        var packet = new byte[16 + 4 * message.Length];
        var length = UdpTrackerCodec.WriteErrorResponse(packet, transactionId, message);
        Assert.That(UdpTrackerCodec.IsResponseTo(packet.AsSpan(0, length), transactionId));
        var error = Assert.Throws<TrackerFailureException>(() => UdpTrackerCodec.ReadAnnounceResponse(packet.AsSpan(0, length), transactionId, 4));
        Assert.That(error!.Message, Does.Contain(message));
        return true;
    });
}
