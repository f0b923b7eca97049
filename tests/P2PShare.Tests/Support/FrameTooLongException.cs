namespace P2PShare.Tests.Support;

/// <summary>A length prefix beyond the reader's bound: a protocol violation by the remote.</summary>
public sealed class FrameTooLongException(uint length, int bound)
    : Exception($"the remote sent a frame of {length} bytes (at most {bound} accepted)")
{
    public uint Length { get; } = length;
}
