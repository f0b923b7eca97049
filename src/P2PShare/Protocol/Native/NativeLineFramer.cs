using System.Buffers;

namespace P2PShare.Protocol.Native;

/// <summary>
/// Finds newline-terminated lines in the buffered bytes of one stream, with a bound on the line length. One framer
/// follows one stream: between calls the unfinished line must stay at the front of the buffer (a pipe's unconsumed part).
/// </summary>
internal sealed class NativeLineFramer(int maxLineLength)
{
    // How much of the unfinished line at the front of the buffer is known to hold no newline. Without it every read
    // rescanned the whole line, so one 16 MiB line sent in 4 KiB reads cost about 32 GiB of scanning.
    private long _searched;

    public int MaxLineLength { get; } = maxLineLength;

    /// <summary>Bytes searched for newlines so far: with resuming, each byte once (kept for tests of that).</summary>
    internal long BytesScanned { get; private set; }

    /// <summary>
    /// Takes the next complete line (without its "\n" or "\r\n") off the front of <paramref name="buffer"/>.
    /// </summary>
    public NativeLineStatus TryReadLine(ref ReadOnlySequence<byte> buffer, out ReadOnlySequence<byte> line)
    {
        var unsearched = buffer.Slice(Math.Min(_searched, buffer.Length));
        var newline = unsearched.PositionOf((byte)'\n');
        if (newline is not { } end)
        {
            BytesScanned += unsearched.Length;
            _searched = buffer.Length;
            line = default;
            return buffer.Length > MaxLineLength ? NativeLineStatus.TooLong : NativeLineStatus.NeedMoreData;
        }
        line = buffer.Slice(buffer.Start, end);
        BytesScanned += line.Length + 1 - (buffer.Length - unsearched.Length);
        _searched = 0;
        if (line.Length > MaxLineLength + 1)
            return NativeLineStatus.TooLong;
        if (line.Length > 0 && EndsWithCarriageReturn(line))
            line = line.Slice(0, line.Length - 1);
        else if (line.Length > MaxLineLength)
            return NativeLineStatus.TooLong;
        buffer = buffer.Slice(buffer.GetPosition(1, end));
        return NativeLineStatus.Line;
    }

    private static bool EndsWithCarriageReturn(ReadOnlySequence<byte> line)
    {
        var last = line.Slice(line.Length - 1);
        return last.FirstSpan[0] == (byte)'\r';
    }
}
