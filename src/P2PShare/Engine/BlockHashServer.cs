using System.Buffers;
using Microsoft.Extensions.Logging;
using P2PShare.Metainfo;
using P2PShare.Protocol;
using P2PShare.Protocol.Wire;

namespace P2PShare.Engine;

/// <summary>
/// Answers BEP 52 hash requests below the piece layer (a file's 16 KiB block hashes, or the layers between them and
/// the pieces): we keep no block hashes, so the leaves of the pieces a request covers are computed from our verified data
/// when asked, and kept in a small cache (<see cref="CacheBytes"/>, least recently used first out). Bounded: at most
/// <see cref="MaxConcurrent"/> computations at once and <see cref="MaxBytesPerRequest"/> of data read for one request;
/// a request for a piece we do not have, or while we are busy, is rejected. Runs under the torrent session's lock; the
/// reads and hashing run off it.
/// </summary>
internal sealed class BlockHashServer
{
    public const int MaxConcurrent = 2;
    public const long DefaultCacheBytes = 4L * 1024 * 1024;
    public const long MaxBytesPerRequest = 16L * 1024 * 1024;

    private readonly object _gate;
    private readonly Torrent _torrent;
    private readonly IPieceStore _store;
    private readonly Bitfield _have;
    private readonly Action<Task> _track;
    private readonly CancellationToken _lifetime;
    private readonly ILogger _logger;
    private readonly Dictionary<int, LinkedListNode<(int Piece, byte[] Leaves)>> _cache = [];
    private readonly LinkedList<(int Piece, byte[] Leaves)> _recent = new();
    private int _running;

    /// <param name="gate">The torrent session's lock.</param>
    /// <param name="track">Keeps a computation's task so the session can wait for it when it stops.</param>
    public BlockHashServer(object gate, Torrent torrent, IPieceStore store, Bitfield have, Action<Task> track, CancellationToken lifetime, ILogger logger,
        long cacheBytes = DefaultCacheBytes)
    {
        _gate = gate;
        _torrent = torrent;
        _store = store;
        _have = have;
        _track = track;
        _lifetime = lifetime;
        _logger = logger;
        CacheBytes = cacheBytes;
    }

    /// <summary>Most bytes of leaf hashes kept between requests.</summary>
    public long CacheBytes { get; }

    /// <summary>Bytes of leaf hashes kept now. Read under the lock.</summary>
    public long CachedBytes { get; private set; }

    /// <summary>Pieces whose leaves were computed from our data (cache misses). Read under the lock.</summary>
    public int PiecesHashed { get; private set; }

    /// <summary>The layer of a file's tree we hold whole: the piece layer, or the root's layer for a file of one piece.</summary>
    public static int KnownLayer(Torrent torrent, TorrentFile file) =>
        Math.Min(MerkleProof.PieceLayer(torrent.PieceLength), MerkleProof.Height(file.Length));

    /// <summary>
    /// Answers a request below <see cref="KnownLayer"/> (call under the lock): <paramref name="reply"/> gets the answer, or
    /// null for a hash reject, at once when the leaves are cached or the request is refused, otherwise later, under the lock.
    /// </summary>
    public void Answer(TorrentFile file, HashRequest request, Action<byte[]?> reply)
    {
        var known = KnownLayer(_torrent, file);
        if (request.BaseLayer >= known || !MerkleProof.IsValidRange(file.Length, request.BaseLayer, request.Index, request.Length, request.ProofLayers)
            || !TryGetUpper(file, out var upper))
        {
            reply(null);
            return;
        }
        var width = 1L << known;
        var firstPiece = ((long)request.Index << request.BaseLayer) / width;
        var lastPiece = ((((long)request.Index + request.Length) << request.BaseLayer) - 1) / width;
        var filePieces = (file.Length + _torrent.PieceLength - 1) / _torrent.PieceLength;
        var firstGlobal = (int)(file.Offset / _torrent.PieceLength);
        var inFile = Math.Min(lastPiece, filePieces - 1) - firstPiece + 1;
        if (inFile * _torrent.PieceLength > MaxBytesPerRequest)
        {
            reply(null);
            return;
        }
        var missing = new List<int>();
        for (var p = firstPiece; p < firstPiece + inFile; p++)
        {
            var global = firstGlobal + (int)p;
            if (!_have[global])
            {
                reply(null); // We cannot vouch for hashes of data we do not have.
                return;
            }
            if (!_cache.ContainsKey(global))
                missing.Add(global);
        }
        if (missing.Count == 0)
        {
            reply(Logged(file, request, Build(file, request, upper, known, firstPiece, lastPiece)));
            return;
        }
        if (_running >= MaxConcurrent)
        {
            reply(null);
            return;
        }
        _running++;
        _track(ComputeAsync(file, request, upper, known, firstPiece, lastPiece, missing, reply));
    }

    private bool TryGetUpper(TorrentFile file, out ReadOnlyMemory<byte> upper)
    {
        if (file.Length <= _torrent.PieceLength)
        {
            upper = file.PiecesRoot;
            return true;
        }
        return _torrent.V2!.TryGetLayer(file.PiecesRoot, out upper);
    }

    private async Task ComputeAsync(TorrentFile file, HashRequest request, ReadOnlyMemory<byte> upper, int known, long firstPiece, long lastPiece,
        List<int> missing, Action<byte[]?> reply)
    {
        var computed = new List<(int Piece, byte[] Leaves)>(missing.Count);
        var buffer = ArrayPool<byte>.Shared.Rent(_torrent.PieceLength);
        try
        {
            await Task.Yield(); // Off the caller's lock.
            foreach (var global in missing)
            {
                var bytes = (int)Math.Min(_torrent.PieceLength, file.EndOffset - _torrent.PieceOffset(global));
                await _store.ReadAsync(global, 0, buffer.AsMemory(0, bytes), _lifetime).ConfigureAwait(false);
                var leaves = new byte[MerkleTree.BlockCount(bytes) * MerkleTree.HashSize];
                MerkleTree.HashBlocks(buffer.AsSpan(0, bytes), leaves);
                computed.Add((global, leaves));
            }
        }
        catch (Exception error)
        {
            // Stopping, or a read failed: the request is rejected (storage errors surface on the download path).
            _logger.LogDebug(error, "Could not read pieces of '{File}' to answer {Request}", file.DisplayPath, request);
            computed.Clear();
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
        lock (_gate)
        {
            _running--;
            if (computed.Count < missing.Count)
            {
                reply(null);
                return;
            }
            foreach (var (piece, leaves) in computed)
                Remember(piece, leaves);
            PiecesHashed += computed.Count;
            reply(Logged(file, request, Build(file, request, upper, known, firstPiece, lastPiece, computed)));
        }
    }

    /// <summary>
    /// The answer from the leaves of pieces <paramref name="firstPiece"/> to <paramref name="lastPiece"/> of the file (pieces
    /// past its end are all padding); the leaves come from the cache or from <paramref name="fresh"/> (just computed, which
    /// the cache may already have let go of).
    /// </summary>
    private byte[]? Build(TorrentFile file, HashRequest request, ReadOnlyMemory<byte> upper, int known, long firstPiece, long lastPiece,
        List<(int Piece, byte[] Leaves)>? fresh = null)
    {
        var width = 1 << known;
        var leaves = new byte[(lastPiece - firstPiece + 1) * width * MerkleTree.HashSize];
        var firstGlobal = (int)(file.Offset / _torrent.PieceLength);
        var filePieces = (file.Length + _torrent.PieceLength - 1) / _torrent.PieceLength;
        for (var p = firstPiece; p <= lastPiece && p < filePieces; p++)
        {
            var global = firstGlobal + (int)p;
            var pieceLeaves = fresh?.Find(f => f.Piece == global).Leaves ?? Recall(global);
            if (pieceLeaves is null)
                return null;
            pieceLeaves.CopyTo(leaves.AsSpan((int)((p - firstPiece) * width * MerkleTree.HashSize)));
        }
        return MerkleProof.AnswerFromLeaves(leaves, firstPiece * width, upper.Span, known, file.Length, request.BaseLayer, request.Index,
            request.Length, request.ProofLayers);
    }

    private byte[]? Logged(TorrentFile file, HashRequest request, byte[]? answer)
    {
        if (answer is not null)
            _logger.LogInformation("Answering {Request} of '{File}' from our data", request, file.DisplayPath);
        return answer;
    }

    private byte[]? Recall(int piece)
    {
        if (!_cache.TryGetValue(piece, out var node))
            return null;
        _recent.Remove(node);
        _recent.AddFirst(node);
        return node.Value.Leaves;
    }

    private void Remember(int piece, byte[] leaves)
    {
        if (_cache.ContainsKey(piece) || leaves.Length > CacheBytes)
            return;
        while (CachedBytes + leaves.Length > CacheBytes && _recent.Last is { } oldest)
        {
            _recent.RemoveLast();
            _cache.Remove(oldest.Value.Piece);
            CachedBytes -= oldest.Value.Leaves.Length;
        }
        _cache[piece] = _recent.AddFirst((piece, leaves));
        CachedBytes += leaves.Length;
    }
}
