namespace P2PShare.Protocol.Utp;

/// <summary>16-bit sequence-number arithmetic with wrap-around (serial number arithmetic, RFC 1982 style).</summary>
internal static class UtpSequence
{
    /// <summary>How far <paramref name="to"/> is ahead of <paramref name="from"/>, modulo 2^16 (0..65535).</summary>
    public static int Distance(ushort from, ushort to) => (ushort)(to - from);

    /// <summary>True when <paramref name="a"/> comes before <paramref name="b"/> (less than half the space ahead).</summary>
    public static bool IsBefore(ushort a, ushort b)
    {
        var d = Distance(a, b);
        return d != 0 && d < 0x8000;
    }

    public static bool IsAfter(ushort a, ushort b) => IsBefore(b, a);

    public static ushort Add(ushort value, int delta) => (ushort)(value + delta);
}
