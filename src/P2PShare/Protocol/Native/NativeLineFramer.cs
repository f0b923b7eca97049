using System.Buffers;

namespace P2PShare.Protocol.Native;

/// <summary>Finds newline-terminated lines in buffered bytes, with a bound on the line length.</summary>
internal static class NativeLineFramer
{
    /// <summary>
    /// Takes the next complete line (without its "\n" or "\r\n") off the front of <paramref name="buffer"/>.
    /// </summary>
    public static NativeLineStatus TryReadLine(ref ReadOnlySequence<byte> buffer, int maxLineLength, out ReadOnlySequence<byte> line)
    {
        var reader = new SequenceReader<byte>(buffer);
        if (!reader.TryReadTo(out line, (byte)'\n'))
        {
            line = default;
            return buffer.Length > maxLineLength ? NativeLineStatus.TooLong : NativeLineStatus.NeedMoreData;
        }
        if (line.Length > maxLineLength + 1)
            return NativeLineStatus.TooLong;
        if (line.Length > 0 && EndsWithCarriageReturn(line))
            line = line.Slice(0, line.Length - 1);
        else if (line.Length > maxLineLength)
            return NativeLineStatus.TooLong;
        buffer = buffer.Slice(reader.Position);
        return NativeLineStatus.Line;
    }

    private static bool EndsWithCarriageReturn(ReadOnlySequence<byte> line)
    {
        var last = line.Slice(line.Length - 1);
        return last.FirstSpan[0] == (byte)'\r';
    }
}
