namespace P2PShare.Protocol.Native;

/// <summary>The sender now has piece <see cref="Index"/>.</summary>
internal sealed record NativeHave(int Index) : NativeMessage;
