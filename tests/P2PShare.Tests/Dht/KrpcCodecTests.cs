using System.Net;
using System.Text;
using P2PShare.Bencode;
using P2PShare.Protocol.Dht;

namespace P2PShare.Tests.Dht;

[TestFixture]
public sealed class KrpcCodecTests
{
    private static readonly NodeId A = NodeId.Parse("0123456789abcdef0123456789abcdef01234567");
    private static readonly NodeId B = NodeId.Parse("ffeeddccbbaa99887766554433221100ffeeddcc");
    private static readonly byte[] Tid = [0xaa, 0x01];

    [Test]
    public void PingQueryMatchesTheBep5Example()
    {
        // BEP 5: d1:ad2:id20:abcdefghij0123456789e1:q4:ping1:t2:aa1:y1:qe (plus our "v").
        var id = new NodeId("abcdefghij0123456789"u8);
        var bytes = KrpcCodec.Encode(new KrpcQuery("aa"u8.ToArray(), KrpcMethod.Ping, id));
        Assert.That(Encoding.ASCII.GetString(bytes), Does.StartWith("d1:ad2:id20:abcdefghij0123456789e1:q4:ping1:t2:aa1:v4:"));
        Assert.That(Encoding.ASCII.GetString(bytes), Does.EndWith("1:y1:qe"));
        var decoded = (KrpcQuery)KrpcCodec.Decode(bytes);
        Assert.That((decoded.Method, decoded.SenderId, decoded.TransactionId), Is.EqualTo((KrpcMethod.Ping, id, "aa"u8.ToArray())));
    }

    [Test]
    public void QueriesRoundTrip()
    {
        var findNode = RoundTrip(new KrpcQuery(Tid, KrpcMethod.FindNode, A) { Target = B });
        Assert.That((findNode.Method, findNode.Target), Is.EqualTo((KrpcMethod.FindNode, (NodeId?)B)));

        var getPeers = RoundTrip(new KrpcQuery(Tid, KrpcMethod.GetPeers, A) { InfoHash = B });
        Assert.That((getPeers.Method, getPeers.InfoHash), Is.EqualTo((KrpcMethod.GetPeers, (NodeId?)B)));

        var announce = RoundTrip(new KrpcQuery(Tid, KrpcMethod.AnnouncePeer, A) { InfoHash = B, Port = 6881, Token = [1, 2, 3], ImpliedPort = true });
        Assert.That((announce.Method, announce.InfoHash, announce.Port, announce.ImpliedPort), Is.EqualTo((KrpcMethod.AnnouncePeer, (NodeId?)B, 6881, true)));
        Assert.That(announce.Token, Is.EqualTo(new byte[] { 1, 2, 3 }));
    }

    [Test]
    public void ResponsesRoundTripWithNodesValuesTokenAndIp()
    {
        var nodes = new[] { new NodeContact(B, new IPEndPoint(IPAddress.Parse("10.1.2.3"), 6881)), new NodeContact(A, new IPEndPoint(IPAddress.Loopback, 1)) };
        var values = new[] { new IPEndPoint(IPAddress.Parse("192.168.0.1"), 51413) };
        var bytes = KrpcCodec.Encode(new KrpcResponse(Tid, A) { Nodes = nodes, Values = values, Token = [9, 9] },
            requester: new IPEndPoint(IPAddress.Parse("203.0.113.7"), 4000));
        var decoded = (KrpcResponse)KrpcCodec.Decode(bytes);
        Assert.That(decoded.SenderId, Is.EqualTo(A));
        Assert.That(decoded.Nodes, Is.EqualTo(nodes));
        Assert.That(decoded.Values, Is.EqualTo(values));
        Assert.That(decoded.Token, Is.EqualTo(new byte[] { 9, 9 }));
        Assert.That(decoded.RequesterAddress, Is.EqualTo(new IPEndPoint(IPAddress.Parse("203.0.113.7"), 4000)));
    }

    [Test]
    public void ErrorsRoundTrip()
    {
        var decoded = (KrpcError)KrpcCodec.Decode(KrpcCodec.Encode(new KrpcError(Tid, KrpcErrorCode.MethodUnknown, "Method Unknown")));
        Assert.That((decoded.Code, decoded.Message), Is.EqualTo((204, "Method Unknown")));
    }

    [Test]
    public void UnknownMethodDecodesSoItCanBeAnsweredWith204()
    {
        var bytes = Encode(Query("vote", new BDictionary { ["id"] = Id20 }));
        var decoded = (KrpcQuery)KrpcCodec.Decode(bytes);
        Assert.That((decoded.Method, decoded.MethodName), Is.EqualTo((KrpcMethod.Unknown, "vote")));
    }

    private static readonly BString Id20 = new(new byte[20]);

    private static IEnumerable<TestCaseData> Hostile()
    {
        yield return Case("empty", []);
        yield return Case("not bencode", "dxyz"u8.ToArray());
        yield return Case("truncated", "d1:t2:aa1:y1:q"u8.ToArray());
        yield return Case("trailing bytes", [.. Encode(Query("ping", new BDictionary { ["id"] = Id20 })), (byte)'x']);
        yield return Case("list, not dictionary", "l1:ae"u8.ToArray());
        yield return Case("string length past the end", "d1:t999999999:aae"u8.ToArray());
        yield return Case("deep nesting", Encoding.ASCII.GetBytes("d1:a" + new string('l', 500) + new string('e', 500) + "e"));
        yield return Case("no transaction id", Encode(new BDictionary { ["y"] = new BString("q") }));
        yield return Case("integer transaction id", Encode(new BDictionary { ["t"] = new BInteger(1), ["y"] = new BString("q") }));
        yield return Case("huge transaction id", Encode(new BDictionary { ["t"] = new BString(new byte[100]), ["y"] = new BString("q") }));
        yield return Case("bad y", Encode(new BDictionary { ["t"] = new BString("aa"), ["y"] = new BString("z") }), query: false);
        yield return Case("query without a", Encode(new BDictionary { ["t"] = new BString("aa"), ["y"] = new BString("q"), ["q"] = new BString("ping") }), query: true);
        yield return Case("short id", Encode(Query("ping", new BDictionary { ["id"] = new BString("short") })), query: true);
        yield return Case("integer id", Encode(Query("ping", new BDictionary { ["id"] = new BInteger(5) })), query: true);
        yield return Case("find_node without target", Encode(Query("find_node", new BDictionary { ["id"] = Id20 })), query: true);
        yield return Case("get_peers with list info_hash", Encode(Query("get_peers", new BDictionary { ["id"] = Id20, ["info_hash"] = new BList() })), query: true);
        yield return Case("announce without token", Encode(Query("announce_peer", new BDictionary { ["id"] = Id20, ["info_hash"] = Id20, ["port"] = new BInteger(1) })), query: true);
        yield return Case("announce port out of range", Encode(Query("announce_peer", new BDictionary
            { ["id"] = Id20, ["info_hash"] = Id20, ["port"] = new BInteger(70000), ["token"] = new BString("x") })), query: true);
        yield return Case("announce huge token", Encode(Query("announce_peer", new BDictionary
            { ["id"] = Id20, ["info_hash"] = Id20, ["port"] = new BInteger(1), ["token"] = new BString(new byte[500]) })), query: true);
        yield return Case("nodes not a multiple of 26", Encode(Response(new BDictionary { ["id"] = Id20, ["nodes"] = new BString(new byte[27]) })), query: false);
        yield return Case("huge nodes string", Encode(Response(new BDictionary { ["id"] = Id20, ["nodes"] = new BString(new byte[26 * 70]) })), query: false);
        yield return Case("nodes as integer", Encode(Response(new BDictionary { ["id"] = Id20, ["nodes"] = new BInteger(3) })), query: false);
        yield return Case("values not a list", Encode(Response(new BDictionary { ["id"] = Id20, ["values"] = new BString("abcdef") })), query: false);
        yield return Case("value of 5 bytes", Encode(Response(new BDictionary { ["id"] = Id20, ["values"] = new BList([new BString("abcde")]) })), query: false);
        yield return Case("too many values", Encode(Response(new BDictionary
            { ["id"] = Id20, ["values"] = new BList(Enumerable.Range(0, KrpcLimits.MaxValues + 1).Select(_ => (BValue)new BString("abcdef"))) })), query: false);
        yield return Case("response without r", Encode(new BDictionary { ["t"] = new BString("aa"), ["y"] = new BString("r") }), query: false);
        yield return Case("error without e", Encode(new BDictionary { ["t"] = new BString("aa"), ["y"] = new BString("e") }), query: false);
        yield return Case("oversized datagram", Encode(Query("ping", new BDictionary { ["id"] = Id20, ["pad"] = new BString(new byte[3000]) })), query: null);
    }

    [TestCaseSource(nameof(Hostile))]
    public void HostileInputGetsAKrpcExceptionAndNothingElse(byte[] datagram, bool? wasQuery)
    {
        var error = Assert.Throws<KrpcException>(() => KrpcCodec.Decode(datagram));
        Assert.That(error!.Code, Is.EqualTo(KrpcErrorCode.Protocol));
        if (wasQuery is { } q)
        {
            Assert.That(error.WasQuery, Is.EqualTo(q));
            Assert.That(error.TransactionId, Is.EqualTo("aa"u8.ToArray()));
        }
    }

    [Test]
    public void RandomBytesNeverThrowAnythingButKrpcException()
    {
        var random = new Random(42);
        var valid = Encode(Response(new BDictionary { ["id"] = Id20, ["nodes"] = new BString(new byte[52]), ["token"] = new BString("tok") }));
        for (var i = 0; i < 20_000; i++)
        {
            var bytes = (byte[])valid.Clone();
            for (var flips = random.Next(1, 4); flips > 0; flips--)
                bytes[random.Next(bytes.Length)] = (byte)random.Next(256);
            var cut = bytes.AsSpan(0, random.Next(bytes.Length + 1)).ToArray();
            try
            {
                KrpcCodec.Decode(cut);
            }
            catch (KrpcException)
            {
            }
        }
        Assert.Pass("20,000 mutated datagrams decoded or were rejected with KrpcException");
    }

    private static KrpcQuery RoundTrip(KrpcQuery query) => (KrpcQuery)KrpcCodec.Decode(KrpcCodec.Encode(query));

    private static TestCaseData Case(string name, byte[] bytes, bool? query = null) => new TestCaseData(bytes, query).SetName($"Hostile: {name}");

    private static BDictionary Query(string method, BDictionary arguments) =>
        new() { ["t"] = new BString("aa"), ["y"] = new BString("q"), ["q"] = new BString(method), ["a"] = arguments };

    private static BDictionary Response(BDictionary body) => new() { ["t"] = new BString("aa"), ["y"] = new BString("r"), ["r"] = body };

    private static byte[] Encode(BValue value) => BencodeEncoder.Encode(value);
}
