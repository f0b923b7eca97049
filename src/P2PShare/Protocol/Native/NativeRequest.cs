namespace P2PShare.Protocol.Native;

/// <summary>Asks for one whole piece.</summary>
public sealed record NativeRequest(int Index) : NativeMessage;
