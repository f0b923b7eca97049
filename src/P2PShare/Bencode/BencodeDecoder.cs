using System.Text;

namespace P2PShare.Bencode;

/// <summary>
/// Strict bencode decoder. Strings are slices of the input (no copies), so decoding never
/// allocates more than the input itself justifies, whatever length prefixes claim.
/// </summary>
internal static class BencodeDecoder
{
    /// <summary>Decodes exactly one value that must span the whole input.</summary>
    public static BValue Decode(ReadOnlyMemory<byte> input, BencodeOptions? options = null)
    {
        var value = DecodePrefix(input, out var consumed, options);
        if (consumed != input.Length)
            throw new BencodeException($"{input.Length - consumed} trailing byte(s) after the value", consumed);
        return value;
    }

    /// <summary>Decodes one value from the start of the input; bytes after it are left for the caller.</summary>
    public static BValue DecodePrefix(ReadOnlyMemory<byte> input, out int consumed, BencodeOptions? options = null)
    {
        var reader = new Reader(input, options ?? BencodeOptions.Strict);
        var value = reader.ReadValue(depth: 0);
        consumed = reader.Position;
        return value;
    }

    /// <summary>Reads a stream of at most <paramref name="maxBytes"/> and decodes it.</summary>
    public static async Task<BValue> DecodeAsync(Stream stream, long maxBytes, CancellationToken cancellationToken, BencodeOptions? options = null)
    {
        using var buffer = new MemoryStream();
        var chunk = new byte[81920];
        int read;
        while ((read = await stream.ReadAsync(chunk, cancellationToken).ConfigureAwait(false)) > 0)
        {
            if (buffer.Length + read > maxBytes)
                throw new BencodeException($"input is larger than the limit of {maxBytes} bytes", (int)Math.Min(int.MaxValue, buffer.Length));
            buffer.Write(chunk, 0, read);
        }
        return Decode(buffer.ToArray(), options);
    }

    private struct Reader(ReadOnlyMemory<byte> input, BencodeOptions options)
    {
        private readonly ReadOnlyMemory<byte> _input = input;
        private readonly BencodeOptions _options = options;
        private readonly byte[][]? _deferred = options.DeferredPath is { Count: > 0 } path ? [.. path.Select(Encoding.UTF8.GetBytes)] : null;
        private int _tokens;

        public int Position { get; private set; }

        public BValue ReadValue(int depth) => ReadValue(depth, _deferred is null ? -1 : 0);

        /// <param name="matched">How many keys of the deferred path lead here (-1: this value is off that path).</param>
        private BValue ReadValue(int depth, int matched)
        {
            if (Position >= _input.Length)
                throw new BencodeException("unexpected end of input, a value was expected", Position);
            if (++_tokens > _options.MaxTokens)
                throw new BencodeException($"more than {_options.MaxTokens} values", Position);
            var start = Position;
            BValue value = _input.Span[Position] switch
            {
                (byte)'i' => ReadInteger(),
                (byte)'l' => ReadList(depth),
                (byte)'d' => ReadDictionary(depth, matched),
                >= (byte)'0' and <= (byte)'9' => ReadString(),
                var other => throw new BencodeException($"unexpected byte 0x{other:x2}, a value was expected", Position),
            };
            value.Offset = start;
            value.Raw = _input[start..Position];
            return value;
        }

        private BInteger ReadInteger() => new(ReadIntegerValue());

        private long ReadIntegerValue()
        {
            var start = Position;
            Position++; // 'i'
            var end = IndexOf((byte)'e', "integer is missing its closing 'e'");
            var digits = _input.Span[Position..end];
            var value = ParseInteger(digits, start + 1, allowNegative: true);
            Position = end + 1;
            return value;
        }

        private BString ReadString()
        {
            var (start, length) = ReadStringRange();
            return new BString(_input.Slice(start, length));
        }

        /// <summary>Reads a string's header and steps over its bytes; where they are.</summary>
        private (int Start, int Length) ReadStringRange()
        {
            var start = Position;
            var colon = IndexOf((byte)':', "string length is missing its ':'");
            var length = ParseInteger(_input.Span[Position..colon], start, allowNegative: false);
            var dataStart = colon + 1;
            if (length > _input.Length - dataStart)
                throw new BencodeException($"string length {length} runs past the end of input ({_input.Length - dataStart} byte(s) left)", start);
            Position = dataStart + (int)length;
            return (dataStart, (int)length);
        }

        private BList ReadList(int depth)
        {
            EnterContainer(depth);
            var list = new BList();
            while (true)
            {
                if (Position >= _input.Length)
                    throw new BencodeException("list is missing its closing 'e'", Position);
                if (_input.Span[Position] == (byte)'e')
                {
                    Position++;
                    return list;
                }
                list.Add(ReadValue(depth + 1, -1));
            }
        }

        private BDictionary ReadDictionary(int depth, int matched)
        {
            EnterContainer(depth);
            var dictionary = new BDictionary();
            BString? previousKey = null;
            while (true)
            {
                if (Position >= _input.Length)
                    throw new BencodeException("dictionary is missing its closing 'e'", Position);
                var next = _input.Span[Position];
                if (next == (byte)'e')
                {
                    Position++;
                    return dictionary;
                }
                var keyOffset = Position;
                if (next is < (byte)'0' or > (byte)'9')
                    throw new BencodeException($"dictionary key must be a string, found byte 0x{next:x2}", keyOffset);
                var key = ReadString();
                if (_options.RequireSortedKeys && previousKey is not null && previousKey.CompareTo(key) > 0)
                    throw new BencodeException($"dictionary key '{key}' is out of order", keyOffset);
                previousKey = key;
                if (Position >= _input.Length)
                    throw new BencodeException($"dictionary key '{key}' has no value", Position);
                var onPath = matched >= 0 && matched < _deferred!.Length && key.Span.SequenceEqual(_deferred[matched]) ? matched + 1 : -1;
                var value = onPath >= 0 && onPath == _deferred!.Length ? ReadDeferred(depth + 1) : ReadValue(depth + 1, onPath);
                if (!dictionary.TryAddDecoded(key, value))
                    throw new BencodeException($"duplicate dictionary key '{key}'", keyOffset);
            }
        }

        /// <summary>A value checked exactly as <see cref="ReadValue(int, int)"/> checks it, but not built.</summary>
        private BDeferred ReadDeferred(int depth)
        {
            var start = Position;
            SkipValue(depth);
            return new BDeferred { Offset = start, Raw = _input[start..Position] };
        }

        private void SkipValue(int depth)
        {
            if (Position >= _input.Length)
                throw new BencodeException("unexpected end of input, a value was expected", Position);
            if (++_tokens > _options.MaxTokens)
                throw new BencodeException($"more than {_options.MaxTokens} values", Position);
            switch (_input.Span[Position])
            {
                case (byte)'i':
                    ReadIntegerValue();
                    break;
                case (byte)'l':
                    SkipList(depth);
                    break;
                case (byte)'d':
                    SkipDictionary(depth);
                    break;
                case >= (byte)'0' and <= (byte)'9':
                    ReadStringRange();
                    break;
                case var other:
                    throw new BencodeException($"unexpected byte 0x{other:x2}, a value was expected", Position);
            }
        }

        private void SkipList(int depth)
        {
            EnterContainer(depth);
            while (true)
            {
                if (Position >= _input.Length)
                    throw new BencodeException("list is missing its closing 'e'", Position);
                if (_input.Span[Position] == (byte)'e')
                {
                    Position++;
                    return;
                }
                SkipValue(depth + 1);
            }
        }

        /// <summary>As <see cref="ReadDictionary"/>, with the same errors; duplicate keys are found without a dictionary
        /// while there are few keys (a file entry has two or three), with a set of key ranges beyond.</summary>
        private void SkipDictionary(int depth)
        {
            EnterContainer(depth);
            Span<(int Start, int Length)> few = stackalloc (int, int)[FewKeys];
            var count = 0;
            HashSet<(int Start, int Length)>? many = null;
            var previous = (Start: -1, Length: 0);
            while (true)
            {
                if (Position >= _input.Length)
                    throw new BencodeException("dictionary is missing its closing 'e'", Position);
                var next = _input.Span[Position];
                if (next == (byte)'e')
                {
                    Position++;
                    return;
                }
                var keyOffset = Position;
                if (next is < (byte)'0' or > (byte)'9')
                    throw new BencodeException($"dictionary key must be a string, found byte 0x{next:x2}", keyOffset);
                var key = ReadStringRange();
                if (_options.RequireSortedKeys && previous.Start >= 0 && Bytes(previous).SequenceCompareTo(Bytes(key)) > 0)
                    throw new BencodeException($"dictionary key '{Text(key)}' is out of order", keyOffset);
                previous = key;
                if (Position >= _input.Length)
                    throw new BencodeException($"dictionary key '{Text(key)}' has no value", Position);
                SkipValue(depth + 1);
                bool added;
                if (many is not null)
                {
                    added = many.Add(key);
                }
                else
                {
                    added = true;
                    foreach (var seen in few[..count])
                        added &= !Bytes(seen).SequenceEqual(Bytes(key));
                    if (added && count < FewKeys)
                    {
                        few[count++] = key;
                    }
                    else if (added)
                    {
                        many = new HashSet<(int, int)>(new RangeComparer(_input));
                        foreach (var seen in few)
                            many.Add(seen);
                        many.Add(key);
                    }
                }
                if (!added)
                    throw new BencodeException($"duplicate dictionary key '{Text(key)}'", keyOffset);
            }
        }

        private const int FewKeys = 8;

        private readonly ReadOnlySpan<byte> Bytes((int Start, int Length) range) => _input.Span.Slice(range.Start, range.Length);

        private readonly string Text((int Start, int Length) range) => Encoding.UTF8.GetString(Bytes(range));

        private void EnterContainer(int depth)
        {
            if (depth >= _options.MaxDepth)
                throw new BencodeException($"nesting deeper than {_options.MaxDepth} levels", Position);
            Position++;
        }

        private readonly int IndexOf(byte marker, string problem)
        {
            var found = _input.Span[Position..].IndexOf(marker);
            if (found < 0)
                throw new BencodeException(problem, Position);
            return Position + found;
        }

        private static long ParseInteger(ReadOnlySpan<byte> digits, int offset, bool allowNegative)
        {
            var negative = digits.Length > 0 && digits[0] == (byte)'-';
            if (negative && !allowNegative)
                throw new BencodeException("string length must not be negative", offset);
            var body = negative ? digits[1..] : digits;
            if (body.Length == 0)
                throw new BencodeException("number has no digits", offset);
            if (body.Length > 1 && body[0] == (byte)'0')
                throw new BencodeException("number has a leading zero", offset);
            if (negative && body[0] == (byte)'0')
                throw new BencodeException("negative zero is not allowed", offset);
            long value = 0;
            for (var i = 0; i < body.Length; i++)
            {
                var digit = body[i] - (byte)'0';
                if (digit is < 0 or > 9)
                    throw new BencodeException($"unexpected byte 0x{body[i]:x2} in a number", offset + (negative ? 1 : 0) + i);
                // Accumulate negatively so long.MinValue is representable.
                if (value < (long.MinValue + digit) / 10)
                    throw new BencodeException("number does not fit in 64 bits", offset);
                value = value * 10 - digit;
            }
            if (negative)
                return value;
            if (value == long.MinValue)
                throw new BencodeException("number does not fit in 64 bits", offset);
            return -value;
        }
    }

    /// <summary>Key ranges of one input compared by their bytes.</summary>
    private sealed class RangeComparer(ReadOnlyMemory<byte> input) : IEqualityComparer<(int Start, int Length)>
    {
        public bool Equals((int Start, int Length) x, (int Start, int Length) y) =>
            input.Span.Slice(x.Start, x.Length).SequenceEqual(input.Span.Slice(y.Start, y.Length));

        public int GetHashCode((int Start, int Length) range)
        {
            var hash = new HashCode();
            hash.AddBytes(input.Span.Slice(range.Start, range.Length));
            return hash.ToHashCode();
        }
    }
}
