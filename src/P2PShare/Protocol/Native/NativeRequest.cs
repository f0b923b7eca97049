namespace P2PShare.Protocol.Native;

/// <summary>Asks for one whole piece.</summary>
internal sealed record NativeRequest(int Index) : NativeMessage;
