using System.Buffers;

namespace P2PShare.Protocol.Native;

/// <summary>
/// A received piece. The decoded bytes live in a pooled buffer owned by this message:
/// dispose it once the bytes are written.
/// </summary>
internal sealed record NativePiece : NativeMessage, IDisposable
{
    private byte[]? _buffer;

    internal NativePiece(int index, byte[] rentedBuffer, int length)
    {
        Index = index;
        _buffer = rentedBuffer;
        Length = length;
    }

    public int Index { get; }

    public int Length { get; }

    public ReadOnlySpan<byte> Data => (_buffer ?? throw new ObjectDisposedException(nameof(NativePiece))).AsSpan(0, Length);

    public ReadOnlyMemory<byte> Memory => (_buffer ?? throw new ObjectDisposedException(nameof(NativePiece))).AsMemory(0, Length);

    public void Dispose()
    {
        var buffer = Interlocked.Exchange(ref _buffer, null);
        if (buffer is not null)
            ArrayPool<byte>.Shared.Return(buffer);
    }
}
