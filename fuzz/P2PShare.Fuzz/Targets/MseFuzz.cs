using System.Security.Cryptography;
using P2PShare.Metainfo;
using P2PShare.Networking.Encryption;

namespace P2PShare.Fuzz.Targets;

/// <summary>
/// The <c>mse</c> target: our MSE/PE handshake, as the side that accepts (<see cref="PeerEncryption.AcceptAsync"/>,
/// sniffer included) and as the side that dials (<see cref="PeerEncryption.ConnectAsync"/>), fed a hostile peer's
/// bytes over a <see cref="ScriptedStream"/>. Random bytes cannot get past the Diffie-Hellman exchange, so in the
/// scripted modes the harness plays the peer with a fixed key pair (ours is fixed too, so the shared secret is known):
/// it sends the peer's public key, padding of the input's length, the right (or a wrong) req1 and req2 hashes, and then
/// the rest of the input encrypted with the peer's RC4 key. The fuzzer so chooses the decrypted fields: the
/// verification constant, crypto_provide / crypto_select, the pad lengths, len(IA), IA and the payload.
/// <code>
/// byte 0    mode (mod 4): 0 accept raw, 1 accept scripted, 2 dial raw, 3 dial scripted
/// byte 1    read chunk size (0: as much as asked), to cut the scans and fields anywhere
/// byte 2-3  scripted: padding length before the hashes (PadA) or before VC (PadB), mod 1024 (the limit is 512)
/// byte 4    flags: 1 wrong req1, 2 a torrent we do not have, 4|8 policy (0 prefer, 4 require, 8 disable)
/// byte 5..  raw: the peer's bytes as they are; scripted: the plaintext the harness encrypts
/// </code>
/// Only <see cref="MseHandshakeException"/> may escape. A run never waits: the script ends with end of stream.
/// </summary>
internal static class MseFuzz
{
    private const int HeaderLength = 5;

    private static readonly byte[] OurPrivateKey = SHA1.HashData("p2pshare fuzz: our private key"u8);
    private static readonly byte[] PeerPrivateKey = SHA1.HashData("p2pshare fuzz: the peer's private key"u8);
    private static readonly byte[] PeerPublicKey = new DiffieHellman(PeerPrivateKey).PublicKey;
    private static readonly byte[] Secret = new DiffieHellman(PeerPrivateKey).ComputeSecret(new DiffieHellman(OurPrivateKey).PublicKey);

    /// <summary>Our fixed key pair (what <see cref="MseOptions.KeyFactory"/> makes in this target).</summary>
    public static DiffieHellman OurKeys() => OurKeyPair;

    private static readonly DiffieHellman OurKeyPair = new(OurPrivateKey);

    /// <summary>The torrent both sides know.</summary>
    public static InfoHash Torrent { get; } = new(SHA1.HashData("p2pshare fuzz torrent"u8));

    private static readonly InfoHash OtherTorrent = new(SHA1.HashData("a torrent we do not have"u8));

    /// <summary>Our 68-byte BitTorrent handshake, sent as IA when we dial.</summary>
    private static readonly byte[] OurHandshake = [19, .. "BitTorrent protocol"u8, 0, 0, 0, 0, 0, 0x10, 0, 5, .. Torrent.Span, .. "-P20000-fuzzfuzzfuzz"u8];

    public static void Run(byte[] input)
    {
        if (input.Length < HeaderLength)
            throw new MseHandshakeException("input shorter than the target's header");
        var mode = input[0] % 4;
        var chunk = input[1] == 0 ? int.MaxValue : input[1];
        var padLength = ((input[2] << 8) | input[3]) % 1024;
        var flags = input[4];
        var body = input.AsMemory(HeaderLength);
        var policy = (flags & 0x0c) switch { 0x04 => EncryptionPolicy.Require, 0x08 => EncryptionPolicy.Disable, _ => EncryptionPolicy.Prefer };
        var options = new MseOptions
        {
            StepTimeout = TimeSpan.FromSeconds(2),
            HandshakeTimeout = TimeSpan.FromSeconds(3),
            Random = new Random(25),
            KeyFactory = OurKeys,
        };
        switch (mode)
        {
            case 0:
            case 1:
                var script = mode == 0 ? body : InitiatorScript(padLength, flags, body.Span);
                Accept(new ScriptedStream(script, chunk), policy, options);
                break;
            default:
                var answer = mode == 2 ? body : ResponderScript(padLength, body.Span);
                // Disable never runs MSE when dialling: dial with Require instead, so every dialling run does the handshake.
                Connect(answer, chunk, policy == EncryptionPolicy.Disable ? EncryptionPolicy.Require : policy, options);
                break;
        }
    }

    private static void Accept(ScriptedStream stream, EncryptionPolicy policy, MseOptions options)
    {
        var result = PeerEncryption.AcceptAsync(stream, policy, static () => [OtherTorrent, Torrent], options).GetAwaiter().GetResult();
        Drain(result.StreamWithInitialPayload());
    }

    private static void Connect(ReadOnlyMemory<byte> answer, int chunk, EncryptionPolicy policy, MseOptions options)
    {
        // Under Prefer a failed MSE handshake is followed by a plain connection: the same script again.
        var result = PeerEncryption.ConnectAsync(_ => Task.FromResult<Stream>(new ScriptedStream(answer, chunk)), Torrent, policy, OurHandshake, options)
            .GetAwaiter().GetResult();
        Drain(result.Stream);
    }

    /// <summary>Reads the payload stream to its end (replayed bytes, RC4) and writes to it once.</summary>
    private static void Drain(Stream payload)
    {
        var buffer = new byte[4096];
        while (payload.ReadAsync(buffer).AsTask().GetAwaiter().GetResult() > 0)
        {
        }
        payload.WriteAsync(OurHandshake).AsTask().GetAwaiter().GetResult();
    }

    /// <summary>What an initiator sends: Ya, PadA, HASH('req1', S), HASH('req2', SKEY) xor HASH('req3', S), ENCRYPT(plaintext).</summary>
    public static byte[] InitiatorScript(int padLength, byte flags, ReadOnlySpan<byte> plaintext)
    {
        var req1 = Hash("req1"u8, Secret, []);
        if ((flags & 0x01) != 0)
            req1[0] ^= 0x55;
        var torrent = (flags & 0x02) != 0 ? new InfoHash(SHA1.HashData("nobody has this torrent"u8)) : Torrent;
        var req2 = Hash("req2"u8, torrent.Span, []);
        var req3 = Hash("req3"u8, Secret, []);
        for (var i = 0; i < req2.Length; i++)
            req2[i] ^= req3[i];
        var encrypted = plaintext.ToArray();
        Rc4.ForMse(Hash("keyA"u8, Secret, Torrent.Span)).Transform(encrypted);
        return [.. PeerPublicKey, .. Padding(padLength), .. req1, .. req2, .. encrypted];
    }

    /// <summary>What a responder sends: Yb, PadB, ENCRYPT(plaintext) (VC, crypto_select, len(PadD), PadD, payload).</summary>
    public static byte[] ResponderScript(int padLength, ReadOnlySpan<byte> plaintext)
    {
        var encrypted = plaintext.ToArray();
        Rc4.ForMse(Hash("keyB"u8, Secret, Torrent.Span)).Transform(encrypted);
        return [.. PeerPublicKey, .. Padding(padLength), .. encrypted];
    }

    private static byte[] Padding(int length)
    {
        var pad = new byte[length];
        new Random(length).NextBytes(pad);
        return pad;
    }

    private static byte[] Hash(ReadOnlySpan<byte> label, ReadOnlySpan<byte> first, ReadOnlySpan<byte> second) =>
        SHA1.HashData([.. label, .. first, .. second]);
}
