using System.Security.Cryptography;

namespace P2PShare.Metainfo;

public sealed partial class Torrent
{
    private int[]? _v2PieceFiles;

    /// <summary>The BEP 52 part of a v2 or hybrid torrent; null for v1.</summary>
    internal TorrentV2Part? V2 { get; init; }

    public TorrentVersion Version => V2 is null ? TorrentVersion.V1 : PieceHashes.IsEmpty ? TorrentVersion.V2 : TorrentVersion.Hybrid;

    public bool HasV1Hashes => !PieceHashes.IsEmpty;

    /// <summary>The index in <see cref="Files"/> of the file a v2 piece belongs to (every v2 file starts on a piece boundary).</summary>
    internal int V2FileOfPiece(int piece)
    {
        if (V2 is null)
            throw new InvalidOperationException("a v1 torrent has no merkle trees");
        ArgumentOutOfRangeException.ThrowIfNegative(piece);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(piece, PieceCount);
        _v2PieceFiles ??= MapV2Pieces();
        return _v2PieceFiles[piece];
    }

    /// <summary>
    /// The BEP 52 hash a v2 piece must have (its node in the file's piece layer, or the file's root for a file of
    /// one piece); false when the file's piece layer is not known yet.
    /// </summary>
    internal bool TryGetV2PieceHash(int piece, out ReadOnlySpan<byte> hash)
    {
        var file = Files[V2FileOfPiece(piece)];
        hash = default;
        if (file.Length <= PieceLength)
        {
            hash = file.PiecesRoot;
            return true;
        }
        if (!V2!.TryGetLayer(file.PiecesRoot, out var layer))
            return false;
        var indexInFile = piece - (int)(file.Offset / PieceLength);
        hash = layer.Span.Slice(indexInFile * MerkleTree.HashSize, MerkleTree.HashSize);
        return true;
    }

    /// <summary>
    /// Checks a whole piece (as laid out on the wire, padding included) against every hash the torrent has:
    /// SHA-1 for v1, the merkle tree for v2, both for a hybrid (where a disagreement is <see cref="PieceCheckResult.Inconsistent"/>).
    /// </summary>
    internal PieceCheckResult CheckPiece(int piece, ReadOnlySpan<byte> data)
    {
        bool? v1 = null;
        if (HasV1Hashes)
        {
            Span<byte> sha1 = stackalloc byte[PieceHashLength];
            SHA1.HashData(data, sha1);
            v1 = sha1.SequenceEqual(PieceHash(piece));
            if (V2 is null)
                return v1.Value ? PieceCheckResult.Good : PieceCheckResult.Bad;
        }
        var v2 = CheckV2Piece(piece, data);
        if (v2 is null)
            return v1 switch { true => PieceCheckResult.Good, false => PieceCheckResult.Bad, null => PieceCheckResult.HashesUnknown };
        if (v1 is null || v1 == v2)
            return v2.Value ? PieceCheckResult.Good : PieceCheckResult.Bad;
        return PieceCheckResult.Inconsistent;
    }

    /// <summary>The merkle verdict on a piece; null when the piece layer is not known yet.</summary>
    private bool? CheckV2Piece(int piece, ReadOnlySpan<byte> data)
    {
        if (!TryGetV2PieceHash(piece, out var expected))
            return null;
        var file = Files[V2FileOfPiece(piece)];
        var offsetInFile = PieceOffset(piece) - file.Offset;
        var inFile = (int)Math.Min(data.Length, file.Length - offsetInFile);
        // The bytes past the file's end are padding: zeros, which the v2 tree does not cover, so they are checked here.
        if (data[inFile..].ContainsAnyExcept((byte)0))
            return false;
        Span<byte> actual = stackalloc byte[MerkleTree.HashSize];
        MerkleTree.PieceHash(data[..inFile], PieceLength, file.Length, actual);
        return actual.SequenceEqual(expected);
    }

    private int[] MapV2Pieces()
    {
        var map = new int[PieceCount];
        for (var i = 0; i < Files.Count; i++)
        {
            var file = Files[i];
            if (file.IsPadding || file.Length == 0)
                continue;
            var first = (int)(file.Offset / PieceLength);
            var last = (int)((file.EndOffset - 1) / PieceLength);
            for (var p = first; p <= last; p++)
                map[p] = i;
        }
        return map;
    }
}
