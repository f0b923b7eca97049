namespace P2PShare.Protocol.Native;

/// <summary>Extension: the answer to a request for a piece the sender does not have (the original stays silent).</summary>
internal sealed record NativeDontHave(int Index) : NativeMessage;
