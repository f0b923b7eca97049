using System.Net;
using FsCheck;
using FsCheck.Fluent;
using P2PShare.Protocol.Extensions;

namespace P2PShare.Tests.Hardening.Properties;

/// <summary>FsCheck: BEP 10 extended handshakes, BEP 9 ut_metadata and BEP 11 ut_pex messages survive encode → parse.</summary>
[TestFixture]
public sealed class ExtensionProperties
{
    private static Gen<string> ExtensionName { get; } =
        Gen.Choose(1, 20).SelectMany(length => Gen.ArrayOf(Gen.Elements("abcdefghijklmnopqrstuvwxyz_0123456789".ToCharArray()), length)).Select(chars => new string(chars));

    [Test]
    public void ExtensionHandshakeRoundTrips() => PropertyCheck.ForAll(
        Generators.Zip(
            Generators.ListOf(Gen.Zip(ExtensionName, Gen.Choose(1, 255).Select(id => (byte)id)), 6),
            Gen.Choose(0, (int)Math.Min(int.MaxValue, ExtensionHandshake.MaxMetadataSize)).Select(size => (long?)size).Or(Gen.Constant((long?)null)),
            Generators.Text(40).Select(text => (string?)text).Or(Gen.Constant((string?)null)),
            Generators.Port.Select(port => (int?)port).Or(Gen.Constant((int?)null)),
            Gen.OneOf(Generators.IPv4EndPoint, Generators.IPv6EndPoint).Select(endPoint => (IPAddress?)endPoint.Address).Or(Gen.Constant((IPAddress?)null))),
        fields =>
        {
            var messages = new Dictionary<string, byte>();
            foreach (var (name, id) in fields.Item1)
                messages[name] = id;
            var original = new ExtensionHandshake
            {
                Messages = messages, MetadataSize = fields.Item2, ClientName = fields.Item3, ListenPort = fields.Item4, YourIp = fields.Item5,
            };
            var parsed = ExtensionHandshake.Parse(original.Encode());
            Assert.That(parsed.Messages, Is.EquivalentTo(messages));
            Assert.That((parsed.MetadataSize, parsed.ClientName, parsed.ListenPort, parsed.YourIp),
                Is.EqualTo((original.MetadataSize, original.ClientName, original.ListenPort, original.YourIp)));
            return true;
        });

    [Test]
    public void MetadataMessagesRoundTrip() => PropertyCheck.ForAll(
        Generators.Zip(Gen.Elements(MetadataMessageType.Request, MetadataMessageType.Data, MetadataMessageType.Reject), Gen.Choose(0, 1023),
            Generators.Bytes(MetadataMessage.PieceLength)), tests: 100, holds: fields =>
        {
            var (type, piece, data) = fields;
            var totalSize = (long)piece * MetadataMessage.PieceLength + data.Length;
            var original = type == MetadataMessageType.Data ? MetadataMessage.DataPiece(piece, totalSize, data) : new MetadataMessage(type, piece);
            var parsed = MetadataMessage.Parse(original.Encode());
            return parsed.Type == type && parsed.Piece == piece
                && (type != MetadataMessageType.Data || (parsed.TotalSize == totalSize && parsed.Data.Span.SequenceEqual(data)));
        });

    [Test]
    public void PexMessagesRoundTrip() => PropertyCheck.ForAll(
        Gen.Zip(
            Generators.ListOf(Gen.Zip(Gen.OneOf(Generators.IPv4EndPoint, Generators.IPv6EndPoint), Generators.Byte), PexMessage.MaxSentPerList),
            Generators.ListOf(Gen.OneOf(Generators.IPv4EndPoint, Generators.IPv6EndPoint), PexMessage.MaxSentPerList)),
        fields =>
        {
            var added = fields.Item1.Select(pair => new PexPeer(pair.Item1, pair.Item2)).ToList();
            var original = new PexMessage { Added = added, Dropped = [.. fields.Item2] };
            var parsed = PexMessage.Parse(original.Encode());
            // The encoder groups IPv4 before IPv6; each family keeps its order.
            Assert.That(parsed.Added, Is.EqualTo(added.OrderBy(p => p.EndPoint.AddressFamily).ToList()));
            Assert.That(parsed.Dropped, Is.EqualTo(fields.Item2.OrderBy(e => e.AddressFamily).ToList()));
            return true;
        });
}
