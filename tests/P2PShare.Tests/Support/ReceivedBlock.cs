namespace P2PShare.Tests.Support;

/// <summary>A piece message's block: where it belongs and its bytes.</summary>
public sealed record ReceivedBlock(int Index, int Begin, byte[] Data);
