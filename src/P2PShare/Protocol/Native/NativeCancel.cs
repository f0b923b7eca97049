namespace P2PShare.Protocol.Native;

/// <summary>Extension: the sender no longer wants piece <see cref="Index"/> it requested.</summary>
internal sealed record NativeCancel(int Index) : NativeMessage;
