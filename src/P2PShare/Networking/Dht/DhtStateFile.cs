using System.Net;
using P2PShare.Bencode;
using P2PShare.Protocol.Dht;

namespace P2PShare.Networking.Dht;

/// <summary>
/// The routing table file: a bencoded dictionary with "id" (20 bytes), "nodes" (compact node info, 26 bytes each)
/// and optionally "ip" (4 bytes). Written atomically (temporary file, then rename); a missing, oversized or
/// corrupt file reads as null, so the node simply bootstraps.
/// </summary>
internal static class DhtStateFile
{
    private const int MaxFileBytes = 64 * 1024;

    public static async Task SaveAsync(string path, DhtState state, CancellationToken cancellationToken)
    {
        var directory = Path.GetDirectoryName(Path.GetFullPath(path))!;
        Directory.CreateDirectory(directory);
        var temporary = path + ".tmp";
        await File.WriteAllBytesAsync(temporary, Encode(state), cancellationToken).ConfigureAwait(false);
        File.Move(temporary, path, overwrite: true);
    }

    public static DhtState? TryLoad(string path)
    {
        try
        {
            var info = new FileInfo(path);
            if (!info.Exists || info.Length > MaxFileBytes)
                return null;
            return TryRead(File.ReadAllBytes(path));
        }
        catch (Exception error) when (error is IOException or UnauthorizedAccessException)
        {
            return null;
        }
    }

    /// <summary>The file's bytes as <see cref="SaveAsync"/> writes them.</summary>
    public static byte[] Encode(DhtState state)
    {
        var root = new BDictionary
        {
            ["id"] = new BString(state.NodeId.ToArray()),
            ["nodes"] = new BString(CompactDhtEncoding.EncodeNodes(
                state.Nodes.Where(n => n.EndPoint.AddressFamily == System.Net.Sockets.AddressFamily.InterNetwork).ToList())),
        };
        if (state.ExternalAddress is { AddressFamily: System.Net.Sockets.AddressFamily.InterNetwork } ip)
            root["ip"] = new BString(ip.GetAddressBytes());
        return BencodeEncoder.Encode(root);
    }

    /// <summary>Reads a state file's bytes; null for anything that is not one (never throws on bad bytes).</summary>
    public static DhtState? TryRead(ReadOnlyMemory<byte> bytes)
    {
        if (bytes.Length > MaxFileBytes)
            return null;
        try
        {
            if (BencodeDecoder.Decode(bytes) is not BDictionary root
                || !root.TryGet<BString>("id", out var id) || id.Bytes.Length != NodeId.Length
                || !root.TryGet<BString>("nodes", out var nodes))
                return null;
            var external = root.TryGet<BString>("ip", out var ip) && ip.Bytes.Length == 4 ? new IPAddress(ip.Span) : null;
            var contacts = CompactDhtEncoding.DecodeNodes(nodes.Span, MaxFileBytes / CompactDhtEncoding.NodeLength);
            return new DhtState(new NodeId(id.Span), contacts, external);
        }
        catch (FormatException)
        {
            return null;
        }
    }
}
