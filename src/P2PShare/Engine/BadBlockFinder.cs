using System.Net;
using Microsoft.Extensions.Logging;
using P2PShare.Metainfo;
using P2PShare.Protocol.Wire;

namespace P2PShare.Engine;

/// <summary>
/// Exact blame for a v2 piece that failed: the merkle tree has a leaf for each 16 KiB block, so the block hashes of the
/// failed piece are asked of a peer that speaks v2 (BEP 52 hash request, layer 0, proven up to the piece's node in the
/// piece layer we hold), and only the senders of the blocks whose SHA-256 differs from their leaf are banned; the others
/// sent good data. Pieces from one sender need none of this (that sender is banned at once). At most
/// <see cref="MaxPending"/> failed pieces wait for their block hashes. Runs under the torrent session's lock.
/// </summary>
internal sealed class BadBlockFinder(Torrent torrent, List<PeerSession> peers, HashExchange exchange, BadDataJudge judge, ILogger logger)
{
    public const int MaxPending = 16;
    private readonly Dictionary<int, FailedPiece> _pending = [];

    /// <summary>Failed pieces whose bad blocks were found from their merkle leaves.</summary>
    public int Resolved { get; private set; }

    /// <summary>Senders banned because a block of theirs did not match its leaf.</summary>
    public int Identified { get; private set; }

    /// <summary>Each block's SHA-256 (its merkle leaf, the padding past the file's end excluded) with its sender. Call off the lock while the buffer is valid.</summary>
    public static SmartBan.BlockEvidence[] Collect(Torrent torrent, PieceDownload piece)
    {
        var file = torrent.Files[torrent.V2FileOfPiece(piece.Index)];
        var inFile = (int)Math.Min(piece.Size, file.EndOffset - torrent.PieceOffset(piece.Index));
        var blocks = (int)MerkleTree.BlockCount(inFile);
        var evidence = new SmartBan.BlockEvidence[blocks];
        for (var b = 0; b < blocks; b++)
        {
            var start = b * MerkleTree.BlockSize;
            var hash = System.Security.Cryptography.SHA256.HashData(piece.Buffer.AsSpan(start, Math.Min(MerkleTree.BlockSize, inFile - start)));
            var sender = piece.SenderOf[b] as PeerSession;
            evidence[b] = new SmartBan.BlockEvidence(hash, sender?.Connection.RemoteEndPoint, sender?.Connection.Remote.PeerId);
        }
        return evidence;
    }

    /// <summary>A v2 piece with several senders failed: its block hashes are asked for. False when they are not (one
    /// sender, too many pieces waiting, no v2 peer, or the piece's hash unknown).</summary>
    public bool OnPieceFailed(int pieceIndex, SmartBan.BlockEvidence[] evidence)
    {
        if (evidence.Select(e => e.Sender).Where(s => s is not null).Distinct().Count() < 2 || _pending.Count >= MaxPending
            || !torrent.TryGetV2PieceHash(pieceIndex, out var pieceHash))
            return false;
        var file = torrent.Files[torrent.V2FileOfPiece(pieceIndex)];
        var blocksPerPiece = torrent.PieceLength / MerkleTree.BlockSize;
        var length = (int)Math.Min(blocksPerPiece, MerkleTree.LeafCount(file.Length));
        var indexInFile = (int)((torrent.PieceOffset(pieceIndex) - file.Offset) / torrent.PieceLength);
        if (length < 2)
            return false; // A file of one block: its root is its leaf, nothing to ask.
        // No uncles: the blocks' subtree root is the piece's node, which we hold.
        var request = new HashRequest(Convert.ToHexStringLower(file.PiecesRoot!), 0, indexInFile * blocksPerPiece, length,
            MerkleProof.ProofLayersTo(System.Numerics.BitOperations.Log2((uint)length)));
        var failed = new FailedPiece(pieceIndex, indexInFile, pieceHash.ToArray(), request, evidence);
        return _pending.TryAdd(pieceIndex, failed) && Ask(failed);
    }

    private bool Ask(FailedPiece failed)
    {
        // Any peer's answer is proven against the piece's node, so who answers does not matter; those who sent the piece go last.
        var waiting = false;
        foreach (var peer in peers.OrderBy(p => failed.Evidence.Any(e => p.Connection.RemoteEndPoint.Equals(e.Sender)) ? 1 : 0))
        {
            if (failed.AskedOf.Contains(peer) || !exchange.SpeaksV2(peer) || peer.Lifetime.IsCancellationRequested)
                continue;
            if (exchange.TrySend(peer, failed.Request, OnAnswer))
            {
                failed.AskedOf.Add(peer);
                failed.Asked = true;
                return true;
            }
            waiting = true; // A v2 peer with its requests full: asked when one is answered.
        }
        if (waiting)
        {
            failed.Asked = false;
            return true;
        }
        logger.LogInformation("No v2 peer answers for the block hashes of piece {Piece}; left to smart ban", failed.Piece);
        _pending.Remove(failed.Piece);
        return false;
    }

    private void OnAnswer(PeerSession peer, HashRequest request, byte[]? hashes)
    {
        AskWaiting();
        var failed = _pending.Values.FirstOrDefault(f => f.Request == request);
        if (failed is null)
            return;
        if (hashes is null)
        {
            Ask(failed);
            return;
        }
        logger.LogInformation("Block hashes of failed piece {Piece} from {Peer}", failed.Piece, peer.Name);
        Span<byte> top = stackalloc byte[MerkleTree.HashSize];
        var (layer, index) = MerkleProof.Fold(hashes, 0, request.Index, request.Length, top);
        var expectedLayer = System.Numerics.BitOperations.Log2((uint)request.Length);
        if (layer != expectedLayer || index != failed.IndexInFile || !top.SequenceEqual(failed.PieceHash))
            throw new PeerProtocolException($"block hashes of piece {failed.Piece} do not prove its node in the piece layer");
        _pending.Remove(failed.Piece);
        Resolved++;
        var culprits = new List<SmartBan.BlockEvidence>();
        for (var b = 0; b < failed.Evidence.Length; b++)
        {
            var evidence = failed.Evidence[b];
            if (hashes.AsSpan(b * MerkleTree.HashSize, MerkleTree.HashSize).SequenceEqual(evidence.Hash) || evidence.Sender is null)
                continue;
            logger.LogWarning("Block {Block} of piece {Piece} from {Peer} does not match its merkle leaf", b, failed.Piece, evidence.Sender);
            if (!culprits.Exists(c => c.Sender!.Equals(evidence.Sender)))
                culprits.Add(evidence);
        }
        Identified += culprits.Count;
        judge.BanBlockSenders(culprits, failed.Piece, "its block does not match the piece's merkle leaf");
    }

    /// <summary>Failed pieces that wait for a v2 peer with room for one more request.</summary>
    private void AskWaiting()
    {
        foreach (var failed in _pending.Values.Where(f => !f.Asked).ToList())
            if (!Ask(failed))
                return;
    }

    private sealed record FailedPiece(int Piece, int IndexInFile, byte[] PieceHash, HashRequest Request, SmartBan.BlockEvidence[] Evidence)
    {
        public HashSet<PeerSession> AskedOf { get; } = [];

        public bool Asked { get; set; }
    }
}
