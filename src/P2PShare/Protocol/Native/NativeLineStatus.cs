namespace P2PShare.Protocol.Native;

internal enum NativeLineStatus
{
    /// <summary>A complete line was taken.</summary>
    Line,

    /// <summary>No newline yet; read more bytes.</summary>
    NeedMoreData,

    /// <summary>The line is longer than allowed: the connection must be closed.</summary>
    TooLong,
}
