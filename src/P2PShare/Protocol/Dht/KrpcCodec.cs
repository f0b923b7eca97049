using System.Net;
using System.Text;
using P2PShare.Bencode;

namespace P2PShare.Protocol.Dht;

/// <summary>
/// Encodes and decodes KRPC messages (BEP 5) with the strict bencode codec. Decoding checks every field's type
/// and size against <see cref="KrpcLimits"/> and throws <see cref="KrpcException"/> (with the BEP 5 error code
/// and, when readable, the transaction id) for anything else.
/// </summary>
internal static class KrpcCodec
{
    /// <summary>Our client version, sent as "v" (two letters and two version bytes, as other clients do).</summary>
    private static readonly byte[] OurVersion = "PS\0\u0001"u8.ToArray();
    private static readonly BencodeOptions Options = new() { MaxDepth = 8 };

    public static string MethodName(KrpcMethod method) => method switch
    {
        KrpcMethod.Ping => "ping",
        KrpcMethod.FindNode => "find_node",
        KrpcMethod.GetPeers => "get_peers",
        KrpcMethod.AnnouncePeer => "announce_peer",
        _ => "unknown",
    };

    /// <summary>Encodes a message; <paramref name="requester"/> (responses and errors) becomes the BEP 42 "ip" field.</summary>
    public static byte[] Encode(KrpcMessage message, IPEndPoint? requester = null)
    {
        var root = new BDictionary
        {
            ["t"] = new BString(message.TransactionId),
            ["v"] = new BString(OurVersion),
        };
        switch (message)
        {
            case KrpcQuery query:
                root["y"] = new BString("q");
                root["q"] = new BString(query.MethodName);
                root["a"] = QueryArguments(query);
                if (query.ReadOnly)
                    root["ro"] = new BInteger(1);
                break;
            case KrpcResponse response:
                root["y"] = new BString("r");
                root["r"] = ResponseBody(response);
                break;
            case KrpcError error:
                root["y"] = new BString("e");
                root["e"] = new BList([new BInteger(error.Code), new BString(error.Message)]);
                break;
            default:
                throw new ArgumentException($"unknown KRPC message {message.GetType().Name}", nameof(message));
        }
        if (requester is not null && message is not KrpcQuery && requester.AddressFamily == System.Net.Sockets.AddressFamily.InterNetwork)
            root["ip"] = new BString(CompactDhtEncoding.EncodePeer(requester));
        return BencodeEncoder.Encode(root);
    }

    private static BDictionary QueryArguments(KrpcQuery query)
    {
        var a = new BDictionary { ["id"] = new BString(query.SenderId.ToArray()) };
        if (query.Target is { } target)
            a["target"] = new BString(target.ToArray());
        if (query.InfoHash is { } infoHash)
            a["info_hash"] = new BString(infoHash.ToArray());
        if (query.Method == KrpcMethod.AnnouncePeer)
        {
            a["port"] = new BInteger(query.Port);
            a["implied_port"] = new BInteger(query.ImpliedPort ? 1 : 0);
        }
        if (query.Token is { } token)
            a["token"] = new BString(token);
        return a;
    }

    private static BDictionary ResponseBody(KrpcResponse response)
    {
        var r = new BDictionary { ["id"] = new BString(response.SenderId.ToArray()) };
        if (response.Nodes.Count > 0)
            r["nodes"] = new BString(CompactDhtEncoding.EncodeNodes(response.Nodes));
        if (response.Values.Count > 0)
            r["values"] = new BList(response.Values.Select(v => (BValue)new BString(CompactDhtEncoding.EncodePeer(v))));
        if (response.Token is { } token)
            r["token"] = new BString(token);
        return r;
    }

    /// <summary>Decodes one datagram. The returned message's byte arrays are copies (the input may be reused).</summary>
    public static KrpcMessage Decode(ReadOnlyMemory<byte> datagram)
    {
        if (datagram.Length > KrpcLimits.MaxDatagram)
            throw new KrpcException(KrpcErrorCode.Protocol, $"datagram of {datagram.Length} bytes is larger than {KrpcLimits.MaxDatagram}");
        BValue decoded;
        try
        {
            decoded = BencodeDecoder.Decode(datagram, Options);
        }
        catch (BencodeException error)
        {
            throw new KrpcException(KrpcErrorCode.Protocol, $"malformed bencode: {error.Message}");
        }
        if (decoded is not BDictionary root)
            throw new KrpcException(KrpcErrorCode.Protocol, "a KRPC message must be a dictionary");
        if (!root.TryGet<BString>("t", out var t) || t.Bytes.Length is 0 or > KrpcLimits.MaxTransactionId)
            throw new KrpcException(KrpcErrorCode.Protocol, $"missing or bad transaction id 't' (1 to {KrpcLimits.MaxTransactionId} bytes)");
        var transactionId = t.Span.ToArray();
        var kind = root.Get<BString>("y") is { Bytes.Length: 1 } y ? (char)y.Span[0] : '\0';
        try
        {
            KrpcMessage message = kind switch
            {
                'q' => DecodeQuery(root, transactionId),
                'r' => DecodeResponse(root, transactionId),
                'e' => DecodeError(root, transactionId),
                _ => throw new KrpcException(KrpcErrorCode.Protocol, "'y' must be \"q\", \"r\" or \"e\""),
            };
            if (root.TryGet<BString>("v", out var version) && version.Bytes.Length <= KrpcLimits.MaxVersion)
                message = message with { Version = version.Span.ToArray() };
            return message;
        }
        catch (KrpcException error)
        {
            error.TransactionId = transactionId;
            error.WasQuery = kind == 'q';
            throw;
        }
    }

    private static KrpcQuery DecodeQuery(BDictionary root, byte[] transactionId)
    {
        if (!root.TryGet<BString>("q", out var q) || q.Bytes.Length is 0 or > KrpcLimits.MaxMethodName)
            throw new KrpcException(KrpcErrorCode.Protocol, "query without a method name 'q'");
        if (!root.TryGet<BDictionary>("a", out var a))
            throw new KrpcException(KrpcErrorCode.Protocol, "query without an argument dictionary 'a'");
        var method = q.Span switch
        {
            var s when s.SequenceEqual("ping"u8) => KrpcMethod.Ping,
            var s when s.SequenceEqual("find_node"u8) => KrpcMethod.FindNode,
            var s when s.SequenceEqual("get_peers"u8) => KrpcMethod.GetPeers,
            var s when s.SequenceEqual("announce_peer"u8) => KrpcMethod.AnnouncePeer,
            _ => KrpcMethod.Unknown,
        };
        var query = new KrpcQuery(transactionId, method, RequiredId(a, "id"))
        {
            MethodName = method == KrpcMethod.Unknown ? Printable(q.Span) : MethodName(method),
            ReadOnly = root.TryGet<BInteger>("ro", out var ro) && ro.Value == 1,
        };
        switch (method)
        {
            case KrpcMethod.FindNode:
                return query with { Target = RequiredId(a, "target") };
            case KrpcMethod.GetPeers:
                return query with { InfoHash = RequiredId(a, "info_hash") };
            case KrpcMethod.AnnouncePeer:
                var implied = a.TryGet<BInteger>("implied_port", out var ip) && ip.Value == 1;
                if (!a.TryGet<BInteger>("port", out var port) && !implied)
                    throw new KrpcException(KrpcErrorCode.Protocol, "announce_peer without 'port'");
                if (port is not null && port.Value is < 0 or > ushort.MaxValue)
                    throw new KrpcException(KrpcErrorCode.Protocol, $"announce_peer port {port.Value} is out of range");
                if (!a.TryGet<BString>("token", out var token) || token.Bytes.Length is 0 or > KrpcLimits.MaxToken)
                    throw new KrpcException(KrpcErrorCode.Protocol, "announce_peer without a valid 'token'");
                return query with
                {
                    InfoHash = RequiredId(a, "info_hash"),
                    Port = (int)(port?.Value ?? 0),
                    ImpliedPort = implied,
                    Token = token.Span.ToArray(),
                };
            default:
                return query;
        }
    }

    private static KrpcResponse DecodeResponse(BDictionary root, byte[] transactionId)
    {
        if (!root.TryGet<BDictionary>("r", out var r))
            throw new KrpcException(KrpcErrorCode.Protocol, "response without a body 'r'");
        var response = new KrpcResponse(transactionId, RequiredId(r, "id"));
        if (r["nodes"] is { } nodesValue)
        {
            if (nodesValue is not BString nodes)
                throw new KrpcException(KrpcErrorCode.Protocol, "'nodes' must be a string");
            response = response with { Nodes = CompactDhtEncoding.DecodeNodes(nodes.Span, KrpcLimits.MaxNodes) };
        }
        if (r["values"] is { } valuesValue)
            response = response with { Values = DecodeValues(valuesValue) };
        if (r["token"] is { } tokenValue)
        {
            if (tokenValue is not BString token || token.Bytes.Length is 0 or > KrpcLimits.MaxToken)
                throw new KrpcException(KrpcErrorCode.Protocol, $"'token' must be a string of 1 to {KrpcLimits.MaxToken} bytes");
            response = response with { Token = token.Span.ToArray() };
        }
        if (root.TryGet<BString>("ip", out var ip))
            response = response with { RequesterAddress = CompactDhtEncoding.ReadPeer(ip.Span) };
        return response;
    }

    private static List<IPEndPoint> DecodeValues(BValue value)
    {
        if (value is not BList list)
            throw new KrpcException(KrpcErrorCode.Protocol, "'values' must be a list");
        if (list.Count > KrpcLimits.MaxValues)
            throw new KrpcException(KrpcErrorCode.Protocol, $"'values' lists {list.Count} peers, more than {KrpcLimits.MaxValues}");
        var peers = new List<IPEndPoint>(list.Count);
        foreach (var item in list)
        {
            if (item is not BString peer || peer.Bytes.Length is not (CompactDhtEncoding.PeerLength or 18))
                throw new KrpcException(KrpcErrorCode.Protocol, "each of 'values' must be a 6-byte (or 18-byte IPv6) compact peer");
            if (CompactDhtEncoding.ReadPeer(peer.Span) is { Port: > 0 } endPoint)
                peers.Add(endPoint); // IPv6 peers (BEP 32) are skipped: this node is IPv4 only
        }
        return peers;
    }

    private static KrpcError DecodeError(BDictionary root, byte[] transactionId)
    {
        if (!root.TryGet<BList>("e", out var e))
            throw new KrpcException(KrpcErrorCode.Protocol, "error without a list 'e'");
        var code = e.Count > 0 && e[0] is BInteger c && c.Value is >= 0 and <= 999 ? (int)c.Value : KrpcErrorCode.Generic;
        var text = e.Count > 1 && e[1] is BString s ? Printable(s.Span[..Math.Min(s.Bytes.Length, KrpcLimits.MaxErrorText)]) : "";
        return new KrpcError(transactionId, code, text);
    }

    private static NodeId RequiredId(BDictionary dictionary, string key)
    {
        if (!dictionary.TryGet<BString>(key, out var id) || id.Bytes.Length != NodeId.Length)
            throw new KrpcException(KrpcErrorCode.Protocol, $"'{key}' must be a {NodeId.Length}-byte string");
        return new NodeId(id.Span);
    }

    private static string Printable(ReadOnlySpan<byte> bytes)
    {
        var text = Encoding.UTF8.GetString(bytes);
        return string.Create(text.Length, text, static (span, source) =>
        {
            for (var i = 0; i < span.Length; i++)
                span[i] = char.IsControl(source[i]) ? '?' : source[i];
        });
    }
}
