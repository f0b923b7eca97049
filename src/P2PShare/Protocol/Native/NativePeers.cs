namespace P2PShare.Protocol.Native;

/// <summary>Peer exchange: other nodes the sender is connected to.</summary>
public sealed record NativePeers(IReadOnlyList<NativePeerInfo> Peers) : NativeMessage;
