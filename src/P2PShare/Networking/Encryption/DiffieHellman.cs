using System.Numerics;
using System.Security.Cryptography;

namespace P2PShare.Networking.Encryption;

/// <summary>
/// MSE's Diffie-Hellman: the 768-bit prime of RFC 2409's first Oakley group, generator 2, keys and secrets
/// as 96-byte big-endian numbers. One instance holds one side's private key for one handshake.
/// </summary>
internal sealed class DiffieHellman
{
    /// <summary>Public keys and the shared secret on the wire: 768 bits.</summary>
    public const int KeyLength = 96;

    /// <summary>Private key size: MSE asks for at least 160 bits.</summary>
    public const int PrivateKeyLength = 20;

    private static readonly BigInteger Prime = BigInteger.Parse(
        "0FFFFFFFFFFFFFFFFC90FDAA22168C234C4C6628B80DC1CD129024E088A67CC74020BBEA63B139B22514A08798E3404DDEF9519B3CD3A431B302B0A6DF25F14374FE1356D6D51C245E485B576625E7EC6F44C42E9A63A36210000000000090563",
        System.Globalization.NumberStyles.HexNumber, System.Globalization.CultureInfo.InvariantCulture);

    private static readonly BigInteger Generator = 2;

    private readonly BigInteger _private;

    /// <summary>A key pair whose private key comes from the system's cryptographic random source.</summary>
    public DiffieHellman()
        : this(RandomPrivateKey())
    {
    }

    /// <summary>A key pair from a given private key (big-endian; tests and known vectors).</summary>
    public DiffieHellman(ReadOnlySpan<byte> privateKey)
    {
        _private = new BigInteger(privateKey, isUnsigned: true, isBigEndian: true);
        if (_private < 2)
            throw new ArgumentException("the private key must be at least 2", nameof(privateKey));
        PublicKey = ToBytes(BigInteger.ModPow(Generator, _private, Prime));
    }

    /// <summary>The prime as 96 big-endian bytes.</summary>
    public static ReadOnlySpan<byte> PrimeBytes => ToBytes(Prime);

    /// <summary>Our public key Y = 2^X mod P, 96 big-endian bytes.</summary>
    public byte[] PublicKey { get; }

    /// <summary>
    /// The shared secret S = Yremote^X mod P as 96 big-endian bytes. A public key outside 2..P-2 is refused:
    /// 0, 1 and P-1 would give a secret anyone can guess.
    /// </summary>
    public byte[] ComputeSecret(ReadOnlySpan<byte> remotePublicKey)
    {
        if (remotePublicKey.Length != KeyLength)
            throw new MseHandshakeException($"a public key is {KeyLength} bytes, not {remotePublicKey.Length}");
        var remote = new BigInteger(remotePublicKey, isUnsigned: true, isBigEndian: true);
        if (remote < 2 || remote > Prime - 2)
            throw new MseHandshakeException("the peer's Diffie-Hellman public key is out of range");
        return ToBytes(BigInteger.ModPow(remote, _private, Prime));
    }

    private static byte[] RandomPrivateKey()
    {
        var key = new byte[PrivateKeyLength];
        do
        {
            RandomNumberGenerator.Fill(key);
        }
        while (key.AsSpan(0, PrivateKeyLength - 1).IndexOfAnyExcept((byte)0) < 0 && key[^1] < 2);
        return key;
    }

    private static byte[] ToBytes(BigInteger value)
    {
        var bytes = new byte[KeyLength];
        var written = value.GetByteCount(isUnsigned: true);
        value.TryWriteBytes(bytes.AsSpan(KeyLength - written), out _, isUnsigned: true, isBigEndian: true);
        return bytes;
    }
}
