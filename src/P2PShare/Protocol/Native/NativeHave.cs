namespace P2PShare.Protocol.Native;

/// <summary>The sender now has piece <see cref="Index"/>.</summary>
public sealed record NativeHave(int Index) : NativeMessage;
