using System.Text;
using P2PShare.Bencode;
using P2PShare.Protocol.Wire;

namespace P2PShare.Protocol.Extensions;

/// <summary>
/// The BEP 10 extended handshake dictionary: which extensions the sender speaks and under which message ids
/// ('m'), plus what it tells about itself. Unknown keys are ignored; known keys with wrong types or values
/// out of range are a protocol violation.
/// </summary>
internal sealed record ExtensionHandshake
{
    /// <summary>BEP 9: metadata above this size is refused (real info dictionaries are far smaller).</summary>
    public const long MaxMetadataSize = 16L * 1024 * 1024;

    /// <summary>Largest handshake we decode; a real one is a few hundred bytes.</summary>
    public const int MaxEncodedLength = 64 * 1024;

    public const string UtMetadata = "ut_metadata";
    private const int MaxExtensions = 128;
    private const int MaxClientNameLength = 128;

    /// <summary>Extension name → the message id the sender wants to receive it under; an id of 0 (disabled) is left out.</summary>
    public IReadOnlyDictionary<string, byte> Messages { get; init; } = new Dictionary<string, byte>();

    /// <summary>BEP 9 'metadata_size' exactly as sent (checked by the receiver against its own limit), or null.</summary>
    public long? MetadataSize { get; init; }

    /// <summary>'v': client name and version.</summary>
    public string? ClientName { get; init; }

    /// <summary>'p': the sender's TCP listen port.</summary>
    public int? ListenPort { get; init; }

    /// <summary>'reqq': how many outstanding requests the sender keeps without dropping.</summary>
    public int? RequestQueue { get; init; }

    /// <summary>BEP 10 'yourip': the address the sender sees the receiver as (4 or 16 bytes); how a peer learns its external address.</summary>
    public System.Net.IPAddress? YourIp { get; init; }

    public byte? IdOf(string extension) => Messages.TryGetValue(extension, out var id) ? id : null;

    public byte[] Encode()
    {
        var m = new BDictionary();
        foreach (var (name, id) in Messages)
            m.Set(new BString(name), new BInteger(id));
        var root = new BDictionary { ["m"] = m };
        if (MetadataSize is { } size)
            root["metadata_size"] = new BInteger(size);
        if (ClientName is { } client)
            root["v"] = new BString(client);
        if (ListenPort is { } port)
            root["p"] = new BInteger(port);
        if (RequestQueue is { } reqq)
            root["reqq"] = new BInteger(reqq);
        if (YourIp is { } yourIp)
            root["yourip"] = new BString((yourIp.IsIPv4MappedToIPv6 ? yourIp.MapToIPv4() : yourIp).GetAddressBytes());
        return BencodeEncoder.Encode(root);
    }

    public static ExtensionHandshake Parse(ReadOnlyMemory<byte> body)
    {
        if (body.Length > MaxEncodedLength)
            throw new PeerProtocolException($"extended handshake of {body.Length} bytes is too long");
        BValue value;
        try
        {
            value = BencodeDecoder.Decode(body, new BencodeOptions { MaxDepth = 8 });
        }
        catch (BencodeException error)
        {
            throw new PeerProtocolException($"extended handshake is not bencode ({error.Message})");
        }
        if (value is not BDictionary root)
            throw new PeerProtocolException("extended handshake is not a dictionary");
        return new ExtensionHandshake
        {
            Messages = ReadMessages(root),
            MetadataSize = Integer(root, "metadata_size"),
            ClientName = ReadClientName(root),
            ListenPort = Integer(root, "p") is { } port ? (port is > 0 and <= 65535 ? (int)port : throw Bad("'p' is not a port")) : null,
            RequestQueue = Integer(root, "reqq") is { } reqq ? (int)Math.Clamp(reqq, 0, int.MaxValue) : null,
            // Advisory only: a 'yourip' of another length is ignored rather than failing the handshake.
            YourIp = root["yourip"] is BString { Bytes.Length: 4 or 16 } ip ? new System.Net.IPAddress(ip.Span) : null,
        };
    }

    private static Dictionary<string, byte> ReadMessages(BDictionary root)
    {
        var messages = new Dictionary<string, byte>(StringComparer.Ordinal);
        switch (root["m"])
        {
            case null:
                return messages;
            case BDictionary m:
                if (m.Count > MaxExtensions)
                    throw Bad($"'m' lists {m.Count} extensions");
                foreach (var (key, item) in m)
                {
                    if (item is not BInteger id || id.Value is < 0 or > 255)
                        throw Bad($"'m' gives '{key}' an id that is not 0-255");
                    if (id.Value != 0 && key.IsValidUtf8)
                        messages[key.Text] = (byte)id.Value;
                }
                return messages;
            default:
                throw Bad("'m' is not a dictionary");
        }
    }

    private static string? ReadClientName(BDictionary root)
    {
        if (root["v"] is null)
            return null;
        if (root["v"] is not BString v)
            throw Bad("'v' is not a string");
        var text = Encoding.UTF8.GetString(v.Span[..Math.Min(v.Span.Length, MaxClientNameLength)]);
        return new string(text.Select(c => char.IsControl(c) ? '?' : c).ToArray());
    }

    private static long? Integer(BDictionary root, string key) => root[key] switch
    {
        null => null,
        BInteger integer => integer.Value,
        _ => throw Bad($"'{key}' is not an integer"),
    };

    private static PeerProtocolException Bad(string problem) => new($"extended handshake: {problem}");
}
