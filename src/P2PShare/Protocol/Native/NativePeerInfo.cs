namespace P2PShare.Protocol.Native;

/// <summary>One entry of a <see cref="NativePeers"/> message; <see cref="Host"/> is often IPv4-mapped.</summary>
internal sealed record NativePeerInfo(string Id, string Host, int Port);
