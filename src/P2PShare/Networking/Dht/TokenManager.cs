using System.Net;
using System.Security.Cryptography;

namespace P2PShare.Networking.Dht;

/// <summary>
/// get_peers tokens (BEP 5): SHA-1 of a secret and the querier's IP address, cut to 8 bytes. The secret changes
/// every <c>rotation</c> and the previous one is still accepted, so a token is good for between one and two
/// periods (5 to 10 minutes by default), and only from the address it was given to. Not thread-safe.
/// </summary>
internal sealed class TokenManager
{
    private const int TokenLength = 8;
    private const int SecretLength = 16;
    private readonly TimeProvider _time;
    private readonly Random _random;
    private readonly TimeSpan _rotation;
    private byte[] _current;
    private byte[] _previous;
    private DateTimeOffset _rotatedAt;

    public TokenManager(TimeSpan rotation, TimeProvider time, Random random)
    {
        _time = time;
        _random = random;
        _rotation = rotation;
        _current = NewSecret();
        _previous = NewSecret();
        _rotatedAt = time.GetUtcNow();
    }

    public byte[] Create(IPAddress address)
    {
        RotateIfDue();
        return Compute(_current, address);
    }

    public bool IsValid(ReadOnlySpan<byte> token, IPAddress address)
    {
        RotateIfDue();
        return token.Length == TokenLength
            && (CryptographicOperations.FixedTimeEquals(token, Compute(_current, address))
                || CryptographicOperations.FixedTimeEquals(token, Compute(_previous, address)));
    }

    private void RotateIfDue()
    {
        var now = _time.GetUtcNow();
        var elapsed = now - _rotatedAt;
        if (elapsed < _rotation)
            return;
        // After two periods or more with no use, both secrets are too old.
        _previous = elapsed >= 2 * _rotation ? NewSecret() : _current;
        _current = NewSecret();
        _rotatedAt = now;
    }

    private byte[] NewSecret()
    {
        var secret = new byte[SecretLength];
        _random.NextBytes(secret);
        return secret;
    }

    private static byte[] Compute(byte[] secret, IPAddress address)
    {
        Span<byte> input = stackalloc byte[SecretLength + 16];
        secret.CopyTo(input);
        address.TryWriteBytes(input[SecretLength..], out var written);
        Span<byte> hash = stackalloc byte[SHA1.HashSizeInBytes];
        SHA1.HashData(input[..(SecretLength + written)], hash);
        return hash[..TokenLength].ToArray();
    }
}
