namespace P2PShare.Protocol.Native;

/// <summary>Extension: sent on an idle connection so the other side knows it is alive.</summary>
internal sealed record NativeKeepAlive : NativeMessage
{
    public static readonly NativeKeepAlive Instance = new();
}
