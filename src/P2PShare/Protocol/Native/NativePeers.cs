namespace P2PShare.Protocol.Native;

/// <summary>Peer exchange: other nodes the sender is connected to.</summary>
internal sealed record NativePeers(IReadOnlyList<NativePeerInfo> Peers) : NativeMessage;
