namespace P2PShare.Bencode;

/// <summary>Malformed bencode: says what is wrong and at which byte offset.</summary>
internal sealed class BencodeException(string problem, int offset)
    : FormatException($"invalid bencode at byte {offset}: {problem}")
{
    public string Problem { get; } = problem;

    public int ByteOffset { get; } = offset;
}
