using System.Net;
using FsCheck;
using FsCheck.Fluent;
using P2PShare.Protocol.Dht;

namespace P2PShare.Tests.Hardening.Properties;

/// <summary>FsCheck: BEP 5 KRPC queries, responses and errors survive encode → decode.</summary>
[TestFixture]
public sealed class KrpcProperties
{
    private static Gen<NodeId> Id { get; } = Generators.FixedBytes(NodeId.Length).Select(bytes => new NodeId(bytes));

    private static Gen<byte[]> TransactionId { get; } = Generators.Bytes(8).Where(bytes => bytes.Length > 0);

    private static Gen<byte[]> Token { get; } = Generators.Bytes(20).Where(bytes => bytes.Length > 0);

    [Test]
    public void QueriesRoundTrip() => PropertyCheck.ForAll(
        Generators.Zip(TransactionId, Gen.Elements(KrpcMethod.Ping, KrpcMethod.FindNode, KrpcMethod.GetPeers, KrpcMethod.AnnouncePeer), Id, Id,
            Generators.Zip(Generators.Port, Token, Gen.Elements(true, false))),
        fields =>
        {
            var (transaction, method, sender, other, (port, token, implied)) = fields;
            var query = new KrpcQuery(transaction, method, sender) with
            {
                Target = method == KrpcMethod.FindNode ? other : null,
                InfoHash = method is KrpcMethod.GetPeers or KrpcMethod.AnnouncePeer ? other : null,
                Port = method == KrpcMethod.AnnouncePeer ? port : 0,
                Token = method == KrpcMethod.AnnouncePeer ? token : null,
                ImpliedPort = method == KrpcMethod.AnnouncePeer && implied,
            };
            var decoded = (KrpcQuery)KrpcCodec.Decode(KrpcCodec.Encode(query));
            Assert.That((decoded.Method, decoded.SenderId, decoded.Target, decoded.InfoHash, decoded.Port, decoded.ImpliedPort),
                Is.EqualTo((query.Method, query.SenderId, query.Target, query.InfoHash, query.Port, query.ImpliedPort)));
            Assert.That(decoded.TransactionId, Is.EqualTo(transaction));
            Assert.That(decoded.Token, Is.EqualTo(query.Token));
            return true;
        });

    [Test]
    public void ResponsesRoundTrip() => PropertyCheck.ForAll(
        Generators.Zip(TransactionId, Id,
            Generators.ListOf(Gen.Zip(Id, Generators.IPv4EndPoint).Select(pair => new NodeContact(pair.Item1, pair.Item2)), 8),
            Generators.ListOf(Generators.IPv4EndPoint, 50),
            Gen.Zip(Token.Select(token => (byte[]?)token).Or(Gen.Constant((byte[]?)null)), Generators.IPv4EndPoint.Select(e => (IPEndPoint?)e).Or(Gen.Constant((IPEndPoint?)null)))),
        fields =>
        {
            var (transaction, sender, nodes, values, (token, requester)) = fields;
            var response = new KrpcResponse(transaction, sender) { Nodes = [.. nodes], Values = [.. values], Token = token };
            var decoded = (KrpcResponse)KrpcCodec.Decode(KrpcCodec.Encode(response, requester));
            Assert.That(decoded.SenderId, Is.EqualTo(sender));
            Assert.That(decoded.TransactionId, Is.EqualTo(transaction));
            Assert.That(decoded.Nodes, Is.EqualTo(nodes));
            Assert.That(decoded.Values, Is.EqualTo(values));
            Assert.That(decoded.Token, Is.EqualTo(token));
            Assert.That(decoded.RequesterAddress, Is.EqualTo(requester));
            return true;
        });

    // The decoder keeps at most KrpcLimits.MaxErrorText (256) bytes of a remote error's text: 85 characters of up to
    // 3 UTF-8 bytes each always fit, so they must come back whole; longer texts are cut (below).
    [Test]
    public void ErrorsRoundTrip() => PropertyCheck.ForAll(
        Generators.Zip(TransactionId, Gen.Choose(200, 299), Generators.Text(KrpcLimits.MaxErrorText / 3)), fields =>
        {
            var (transaction, code, message) = fields;
            var decoded = (KrpcError)KrpcCodec.Decode(KrpcCodec.Encode(new KrpcError(transaction, code, message)));
            return decoded.Code == code && decoded.Message == message && decoded.TransactionId.AsSpan().SequenceEqual(transaction);
        });

    [Test]
    public void A_long_error_text_is_cut_to_the_limit() => PropertyCheck.ForAll(
        Generators.Text(400).Where(text => System.Text.Encoding.UTF8.GetByteCount(text) > KrpcLimits.MaxErrorText), message =>
        {
            var decoded = (KrpcError)KrpcCodec.Decode(KrpcCodec.Encode(new KrpcError([1], 201, message)));
            // At most the limit's bytes, each kept character a prefix of the original (a character cut in two may become U+FFFD).
            var kept = decoded.Message.TrimEnd('\uFFFD');
            return decoded.Message.Length <= KrpcLimits.MaxErrorText && message.StartsWith(kept, StringComparison.Ordinal)
                && System.Text.Encoding.UTF8.GetByteCount(kept) <= KrpcLimits.MaxErrorText;
        });
}
