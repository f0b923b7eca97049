namespace P2PShare.Engine;

/// <summary>A block we asked a peer for, and when.</summary>
internal readonly record struct BlockRequest(int Piece, int Block, long SentAtTicks)
{
    public static long Key(int piece, int begin) => ((long)piece << 32) | (uint)begin;
}
