namespace P2PShare.Protocol.Native;

internal enum NativeParseOutcome
{
    /// <summary>A message the node understands.</summary>
    Message,

    /// <summary>A blank line or an unknown message type: skipped, as the protocol says.</summary>
    Ignored,

    /// <summary>Not valid JSON, or a known type with missing or out-of-range fields: dropped.</summary>
    Invalid,
}
