namespace P2PShare.Protocol.Native;

/// <summary>Extension: proof of the shared secret, answering the other side's handshake nonce.</summary>
internal sealed record NativeAuth(string Proof) : NativeMessage;
