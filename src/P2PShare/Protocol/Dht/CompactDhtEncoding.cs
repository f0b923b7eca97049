using System.Buffers.Binary;
using System.Net;
using System.Net.Sockets;

namespace P2PShare.Protocol.Dht;

/// <summary>
/// BEP 5 compact forms over IPv4: node info is 26 bytes (id, address, port), peer info 6 bytes (address, port).
/// </summary>
internal static class CompactDhtEncoding
{
    public const int NodeLength = NodeId.Length + PeerLength;
    public const int PeerLength = 6;

    public static void WritePeer(IPEndPoint peer, Span<byte> destination)
    {
        if (peer.AddressFamily != AddressFamily.InterNetwork || !peer.Address.TryWriteBytes(destination, out var written) || written != 4)
            throw new ArgumentException($"{peer} is not an IPv4 address", nameof(peer));
        BinaryPrimitives.WriteUInt16BigEndian(destination[4..], (ushort)peer.Port);
    }

    public static byte[] EncodePeer(IPEndPoint peer)
    {
        var bytes = new byte[PeerLength];
        WritePeer(peer, bytes);
        return bytes;
    }

    /// <summary>Reads a 6-byte peer; null when the length is wrong.</summary>
    public static IPEndPoint? ReadPeer(ReadOnlySpan<byte> data) =>
        data.Length == PeerLength ? new IPEndPoint(new IPAddress(data[..4]), BinaryPrimitives.ReadUInt16BigEndian(data[4..])) : null;

    public static byte[] EncodeNodes(IReadOnlyCollection<NodeContact> nodes)
    {
        var bytes = new byte[nodes.Count * NodeLength];
        var offset = 0;
        foreach (var node in nodes)
        {
            node.Id.WriteTo(bytes.AsSpan(offset));
            WritePeer(node.EndPoint, bytes.AsSpan(offset + NodeId.Length, PeerLength));
            offset += NodeLength;
        }
        return bytes;
    }

    /// <summary>Decodes a "nodes" string; throws <see cref="KrpcException"/> unless it is a whole number of entries.</summary>
    public static List<NodeContact> DecodeNodes(ReadOnlySpan<byte> data, int maxNodes)
    {
        if (data.Length % NodeLength != 0)
            throw new KrpcException(KrpcErrorCode.Protocol, $"'nodes' of {data.Length} bytes is not a multiple of {NodeLength}");
        if (data.Length / NodeLength > maxNodes)
            throw new KrpcException(KrpcErrorCode.Protocol, $"'nodes' lists {data.Length / NodeLength} nodes, more than {maxNodes}");
        var nodes = new List<NodeContact>(data.Length / NodeLength);
        for (var offset = 0; offset < data.Length; offset += NodeLength)
        {
            var entry = data.Slice(offset, NodeLength);
            var endPoint = ReadPeer(entry[NodeId.Length..])!;
            if (endPoint.Port == 0)
                continue; // nobody listens on port 0
            nodes.Add(new NodeContact(new NodeId(entry[..NodeId.Length]), endPoint));
        }
        return nodes;
    }
}
