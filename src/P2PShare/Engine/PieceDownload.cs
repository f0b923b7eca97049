using System.Buffers;
using P2PShare.Protocol.Wire;

namespace P2PShare.Engine;

/// <summary>
/// A piece being assembled in a buffer of <see cref="PieceBufferPool"/>, block by block, until it can be verified.
/// Owned by the torrent session under its lock.
/// </summary>
internal sealed class PieceDownload
{
    public const int BlockLength = FrameLimits.StandardBlockLength;
    private readonly byte[] _requestCount;
    private readonly bool[] _received;

    public PieceDownload(int index, int size)
    {
        Index = index;
        Size = size;
        BlockCount = (size + BlockLength - 1) / BlockLength;
        _requestCount = new byte[BlockCount];
        _received = new bool[BlockCount];
        Buffer = PieceBufferPool.Shared.Rent(size);
        SenderOf = new object?[BlockCount];
    }

    /// <summary>Who sent each block, for peer rating and for finding the sender of bad data in a failed piece.</summary>
    public object?[] SenderOf { get; }

    public int Index { get; }

    public int Size { get; }

    public int BlockCount { get; }

    public byte[] Buffer { get; private set; }

    public int ReceivedCount { get; private set; }

    /// <summary>Kept by <see cref="RequestScheduler"/>: the piece is in its list of pieces that may have a block nobody was asked for.</summary>
    public bool Listed { get; set; }

    /// <summary>Kept by <see cref="RequestScheduler"/>: when the piece was started, relative to its other pieces.</summary>
    public long StartOrder { get; init; }

    public bool IsComplete => ReceivedCount == BlockCount;

    public int BlockSize(int block) => block < BlockCount - 1 ? BlockLength : Size - block * BlockLength;

    public bool IsReceived(int block) => _received[block];

    public int RequestCount(int block) => _requestCount[block];

    public void MarkRequested(int block) => _requestCount[block] = (byte)Math.Min(255, _requestCount[block] + 1);

    public void MarkRequestDropped(int block)
    {
        if (_requestCount[block] > 0)
            _requestCount[block]--;
    }

    /// <summary>Copies a block in; false when it is not a block of this piece or arrived before.</summary>
    public bool TryAccept(int begin, System.Buffers.ReadOnlySequence<byte> data, object sender, out int block)
    {
        block = begin / BlockLength;
        if (begin % BlockLength != 0 || block >= BlockCount || data.Length != BlockSize(block) || _received[block])
            return false;
        data.CopyTo(Buffer.AsSpan(begin));
        _received[block] = true;
        SenderOf[block] = sender;
        ReceivedCount++;
        return true;
    }

    /// <summary>The whole piece arrived at once (a web seed wrote it into <see cref="Buffer"/>).</summary>
    public void MarkAllReceived(object sender)
    {
        Array.Fill(_received, true);
        Array.Fill(SenderOf, sender);
        ReceivedCount = BlockCount;
    }

    public void Release()
    {
        if (Buffer.Length == 0)
            return;
        PieceBufferPool.Shared.Return(Buffer);
        Buffer = [];
    }
}
