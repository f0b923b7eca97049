namespace P2PShare.Bencode;

/// <summary>A decoded or constructed bencode value.</summary>
internal abstract class BValue
{
    /// <summary>
    /// The exact bytes this value was decoded from, or empty for values built in code.
    /// Kept so that hashes (the info-hash above all) are taken over the original bytes, not a re-encoding.
    /// </summary>
    public ReadOnlyMemory<byte> Raw { get; internal set; }

    /// <summary>Offset of the value in the decoded input (0 for constructed values).</summary>
    public int Offset { get; internal set; }
}
