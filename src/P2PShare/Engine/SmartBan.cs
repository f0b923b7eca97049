using System.Net;
using System.Security.Cryptography;
using P2PShare.Protocol.Wire;

namespace P2PShare.Engine;

/// <summary>
/// Finds who sent the bad data when a piece assembled from several peers fails its hash: each block's
/// hash and sender are kept, and once the piece is fetched again and verifies, the peers whose blocks
/// differ from the good data are the culprits. Guarded by the session lock; hashing is done by callers off it.
/// </summary>
internal sealed class SmartBan
{
    /// <summary>Evidence kept for at most this many pieces, so a hostile swarm cannot grow it without bound.</summary>
    public const int MaxPieces = 256;
    private readonly Dictionary<int, BlockEvidence[]> _evidence = [];
    private readonly Queue<int> _order = new();

    public readonly record struct BlockEvidence(byte[] Hash, IPEndPoint? Sender, PeerId? SenderId);

    public int Count => _evidence.Count;

    /// <summary>Hashes each block of a piece with who sent it. Call off the lock, while the buffer is still valid.</summary>
    public static BlockEvidence[] Collect(PieceDownload piece)
    {
        var evidence = new BlockEvidence[piece.BlockCount];
        for (var b = 0; b < piece.BlockCount; b++)
        {
            var sender = piece.SenderOf[b] as PeerSession;
            var hash = SHA1.HashData(piece.Buffer.AsSpan(b * PieceDownload.BlockLength, piece.BlockSize(b)));
            evidence[b] = new BlockEvidence(hash, sender?.Connection.RemoteEndPoint, sender?.Connection.Remote.PeerId);
        }
        return evidence;
    }

    public void RecordFailure(int pieceIndex, BlockEvidence[] evidence)
    {
        // The first failure's evidence is kept: later ones may include the same culprit's blocks again.
        if (!_evidence.TryAdd(pieceIndex, evidence))
            return;
        _order.Enqueue(pieceIndex);
        while (_order.Count > MaxPieces)
            _evidence.Remove(_order.Dequeue());
    }

    public bool TryTake(int pieceIndex, out BlockEvidence[] evidence) => _evidence.Remove(pieceIndex, out evidence!);

    /// <summary>The senders of blocks that differ from the verified piece's data.</summary>
    public static IReadOnlyList<BlockEvidence> Culprits(BlockEvidence[] failed, ReadOnlySpan<byte> goodPiece)
    {
        var culprits = new List<BlockEvidence>();
        Span<byte> hash = stackalloc byte[20];
        for (var b = 0; b < failed.Length; b++)
        {
            var start = b * PieceDownload.BlockLength;
            SHA1.HashData(goodPiece.Slice(start, Math.Min(PieceDownload.BlockLength, goodPiece.Length - start)), hash);
            if (!hash.SequenceEqual(failed[b].Hash) && failed[b].Sender is not null && !culprits.Exists(c => c.Sender!.Equals(failed[b].Sender)))
                culprits.Add(failed[b]);
        }
        return culprits;
    }
}
