using System.Security.Cryptography;

namespace P2PShare.Protocol.Native;

/// <summary>Node ids and the "greater id dials" rule of peer exchange.</summary>
internal static class NativePeerId
{
    /// <summary>16 lowercase hex characters, random per run, as the original uses.</summary>
    public static string NewId() => Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(8));

    /// <summary>When two nodes learn of each other, only the one with the greater id (ordinal string order) dials.</summary>
    public static bool ShouldDial(string ownId, string peerId) => string.CompareOrdinal(ownId, peerId) > 0;
}
