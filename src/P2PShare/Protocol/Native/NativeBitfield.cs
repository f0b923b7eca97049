namespace P2PShare.Protocol.Native;

/// <summary>The piece indices the sender has (a list of integers, not a bit mask).</summary>
internal sealed record NativeBitfield(IReadOnlyList<int> Pieces) : NativeMessage;
