using System.Buffers.Text;

namespace P2PShare.Bencode;

/// <summary>
/// Walks bencode bytes in place, one value at a time, building nothing: for input the strict decoder has already
/// accepted (the bytes of a <see cref="BDeferred"/>), read by a caller that wants a few fields of many entries. On
/// malformed input it still throws a <see cref="BencodeException"/> rather than return a wrong value, but checking is
/// the decoder's job, so it does not repeat every one of its rules.
/// </summary>
internal ref struct BencodeSpanReader
{
    private readonly ReadOnlySpan<byte> _input;

    public BencodeSpanReader(ReadOnlySpan<byte> input) => _input = input;

    public int Position { get; private set; }

    /// <summary>'i', 'l', 'd', 's' (a string) or 'e' (the end of the list or dictionary being read).</summary>
    public readonly char Peek()
    {
        if (Position >= _input.Length)
            throw new BencodeException("unexpected end of input", Position);
        return _input[Position] switch
        {
            (byte)'i' => 'i',
            (byte)'l' => 'l',
            (byte)'d' => 'd',
            (byte)'e' => 'e',
            >= (byte)'0' and <= (byte)'9' => 's',
            var other => throw new BencodeException($"unexpected byte 0x{other:x2}", Position),
        };
    }

    /// <summary>Steps into the list or dictionary that starts here.</summary>
    public void Enter()
    {
        if (Peek() is not ('l' or 'd'))
            throw new BencodeException("a list or dictionary was expected", Position);
        Position++;
    }

    /// <summary>True (and steps past it) when the current list or dictionary ends here.</summary>
    public bool TryReadEnd()
    {
        if (Peek() != 'e')
            return false;
        Position++;
        return true;
    }

    public ReadOnlySpan<byte> ReadString()
    {
        if (Peek() != 's')
            throw new BencodeException("a string was expected", Position);
        var colon = _input[Position..].IndexOf((byte)':');
        if (colon < 0)
            throw new BencodeException("string length is missing its ':'", Position);
        var length = ParseNumber(_input.Slice(Position, colon));
        if (length < 0)
            throw new BencodeException("string length must not be negative", Position);
        var start = Position + colon + 1;
        if (length > _input.Length - start)
            throw new BencodeException("string runs past the end of input", Position);
        Position = start + (int)length;
        return _input.Slice(start, (int)length);
    }

    public long ReadInteger()
    {
        if (Peek() != 'i')
            throw new BencodeException("an integer was expected", Position);
        var end = _input[Position..].IndexOf((byte)'e');
        if (end < 0)
            throw new BencodeException("integer is missing its closing 'e'", Position);
        var value = ParseNumber(_input.Slice(Position + 1, end - 1));
        Position += end + 1;
        return value;
    }

    /// <summary>Steps over the value that starts here, however deeply nested (iteratively: no recursion).</summary>
    public void Skip()
    {
        var open = 0;
        do
        {
            switch (Peek())
            {
                case 'i':
                    ReadInteger();
                    break;
                case 's':
                    ReadString();
                    break;
                case 'l' or 'd':
                    Position++;
                    open++;
                    break;
                default: // 'e'
                    if (open == 0)
                        throw new BencodeException("a value was expected", Position);
                    Position++;
                    open--;
                    break;
            }
        }
        while (open > 0);
    }

    private readonly long ParseNumber(ReadOnlySpan<byte> digits)
    {
        if (!Utf8Parser.TryParse(digits, out long value, out var used) || used != digits.Length)
            throw new BencodeException("bad number", Position);
        return value;
    }
}
