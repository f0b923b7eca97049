using System.Buffers.Binary;

namespace P2PShare.Tests.Support;

/// <summary>
/// Reads length-prefixed peer wire messages from a stream for the raw test peers. The length is checked
/// against a bound before anything is allocated: a test peer must not be the thing that runs out of memory.
/// </summary>
public sealed class RawFrameReader(Stream stream, int maxLength)
{
    private readonly byte[] _header = new byte[4];
    private byte[] _buffer = new byte[64];

    /// <summary>
    /// The next message (id + payload), skipping keep-alives. Valid until the next call. Throws
    /// <see cref="EndOfStreamException"/> when the remote closes and <see cref="FrameTooLongException"/>
    /// when a length prefix exceeds the bound (nothing of that frame's body is read).
    /// </summary>
    public async Task<ReadOnlyMemory<byte>> ReadAsync(CancellationToken cancellationToken)
    {
        while (true)
        {
            await stream.ReadExactlyAsync(_header, cancellationToken).ConfigureAwait(false);
            var length = BinaryPrimitives.ReadUInt32BigEndian(_header);
            if (length == 0)
            {
                continue; // keep-alive
            }
            if (length > (uint)maxLength)
            {
                throw new FrameTooLongException(length, maxLength);
            }
            if (_buffer.Length < length)
            {
                _buffer = new byte[length];
            }
            var message = _buffer.AsMemory(0, (int)length);
            await stream.ReadExactlyAsync(message, cancellationToken).ConfigureAwait(false);
            return message;
        }
    }
}
