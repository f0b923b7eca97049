namespace P2PShare.Cli.Rpc;

/// <summary>A request the RPC refuses: its message becomes the reply's "result" (the protocol's way to report errors).</summary>
internal sealed class RpcError(string message) : Exception(message);
