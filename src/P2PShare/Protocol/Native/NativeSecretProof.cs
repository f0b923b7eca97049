using System.Security.Cryptography;
using System.Text;

namespace P2PShare.Protocol.Native;

/// <summary>
/// Extension for private swarms: each side proves it knows the shared secret by answering the other's
/// random nonce with HMAC-SHA256(secret, nonce | own id), so the secret itself never crosses the wire.
/// </summary>
internal static class NativeSecretProof
{
    public static string NewNonce() => Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(16));

    public static string Compute(string secret, string peerNonce, string ownId)
    {
        var key = Encoding.UTF8.GetBytes(secret);
        var message = Encoding.UTF8.GetBytes($"p2pshare-native-auth|{peerNonce}|{ownId}");
        return Convert.ToHexStringLower(HMACSHA256.HashData(key, message));
    }

    public static bool Verify(string secret, string ownNonce, string peerId, string proof)
    {
        var expected = Encoding.ASCII.GetBytes(Compute(secret, ownNonce, peerId));
        var actual = Encoding.ASCII.GetBytes(proof);
        return CryptographicOperations.FixedTimeEquals(expected, actual);
    }
}
