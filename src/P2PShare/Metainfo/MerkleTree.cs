using System.Buffers;
using System.Numerics;
using System.Security.Cryptography;

namespace P2PShare.Metainfo;

/// <summary>
/// BEP 52 merkle arithmetic: each file is a binary SHA-256 tree whose leaves hash 16 KiB blocks (the last block
/// may be shorter); the leaf count is rounded up to a power of two with all-zero leaf hashes. A "piece layer" is the
/// layer whose nodes each cover one piece; for a file of at most one piece, its root is the whole tree's root.
/// </summary>
internal static class MerkleTree
{
    public const int BlockSize = 16 * 1024;
    public const int HashSize = 32;

    /// <summary>Deepest tree handled: 2^40 leaves of 16 KiB is far beyond any real file.</summary>
    private const int MaxLevels = 48;

    private static readonly byte[][] PadHashes = BuildPadHashes();

    /// <summary>The hash of a subtree of 2^<paramref name="level"/> all-zero leaves (level 0: 32 zero bytes).</summary>
    public static ReadOnlySpan<byte> PadHash(int level) => PadHashes[level];

    public static long BlockCount(long length) => (length + BlockSize - 1) / BlockSize;

    /// <summary>Leaves in the tree of a file: its block count rounded up to a power of two (at least 1).</summary>
    public static long LeafCount(long length) => (long)BitOperations.RoundUpToPowerOf2((ulong)Math.Max(1, BlockCount(length)));

    /// <summary>SHA-256 of each 16 KiB block of <paramref name="data"/> into <paramref name="destination"/> (32 bytes each).</summary>
    public static void HashBlocks(ReadOnlySpan<byte> data, Span<byte> destination)
    {
        var blocks = (int)BlockCount(data.Length);
        if (destination.Length < blocks * HashSize)
            throw new ArgumentException("destination is too small for the block hashes", nameof(destination));
        for (var i = 0; i < blocks; i++)
        {
            var start = i * BlockSize;
            SHA256.HashData(data.Slice(start, Math.Min(BlockSize, data.Length - start)), destination.Slice(i * HashSize, HashSize));
        }
    }

    /// <summary>
    /// The root of a tree of <paramref name="width"/> leaves (a power of two) of which the first
    /// <c>hashes.Length / 32</c> are given and the rest are pad hashes of <paramref name="leafLevel"/>.
    /// </summary>
    public static void Root(ReadOnlySpan<byte> hashes, long width, int leafLevel, Span<byte> root)
    {
        if (width <= 0 || !BitOperations.IsPow2(width))
            throw new ArgumentOutOfRangeException(nameof(width), "the width of a merkle tree is a power of two");
        if (hashes.Length % HashSize != 0 || hashes.Length / HashSize > width)
            throw new ArgumentException("more hashes than the tree has leaves", nameof(hashes));
        var count = hashes.Length / HashSize;
        if (count == 0)
        {
            PadHash(leafLevel + BitOperations.Log2((ulong)width)).CopyTo(root);
            return;
        }
        var rented = ArrayPool<byte>.Shared.Rent(Math.Max(HashSize, hashes.Length));
        try
        {
            var layer = rented.AsSpan(0, count * HashSize);
            hashes.CopyTo(layer);
            var level = leafLevel;
            Span<byte> pair = stackalloc byte[2 * HashSize];
            for (var nodes = width; nodes > 1; nodes /= 2, level++)
            {
                var next = (count + 1) / 2;
                for (var i = 0; i < next; i++)
                {
                    layer.Slice(2 * i * HashSize, HashSize).CopyTo(pair);
                    if (2 * i + 1 < count)
                        layer.Slice((2 * i + 1) * HashSize, HashSize).CopyTo(pair[HashSize..]);
                    else
                        PadHash(level).CopyTo(pair[HashSize..]);
                    SHA256.HashData(pair, layer.Slice(i * HashSize, HashSize));
                }
                count = next;
            }
            layer[..HashSize].CopyTo(root);
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(rented);
        }
    }

    /// <summary>
    /// The hash BEP 52 gives the data of one piece of a file (<paramref name="data"/> is that piece's bytes of the
    /// file, without padding): for a file larger than a piece, its node in the piece layer; otherwise the file's root.
    /// </summary>
    public static void PieceHash(ReadOnlySpan<byte> data, int pieceLength, long fileLength, Span<byte> hash)
    {
        var width = fileLength > pieceLength ? pieceLength / BlockSize : LeafCount(fileLength);
        var blocks = (int)BlockCount(data.Length);
        var leaves = ArrayPool<byte>.Shared.Rent(Math.Max(1, blocks) * HashSize);
        try
        {
            HashBlocks(data, leaves);
            Root(leaves.AsSpan(0, blocks * HashSize), width, 0, hash);
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(leaves);
        }
    }

    /// <summary>A file's root from its piece layer (one hash per piece, the file larger than one piece).</summary>
    public static byte[] RootFromPieceLayer(ReadOnlySpan<byte> layer, int pieceLength, long fileLength)
    {
        var blocksPerPiece = pieceLength / BlockSize;
        var pieceLevel = BitOperations.Log2((uint)blocksPerPiece);
        var width = LeafCount(fileLength) / blocksPerPiece;
        var root = new byte[HashSize];
        Root(layer, Math.Max(1, width), pieceLevel, root);
        return root;
    }

    private static byte[][] BuildPadHashes()
    {
        var pads = new byte[MaxLevels][];
        pads[0] = new byte[HashSize];
        var pair = new byte[2 * HashSize];
        for (var i = 1; i < MaxLevels; i++)
        {
            pads[i - 1].CopyTo(pair, 0);
            pads[i - 1].CopyTo(pair, HashSize);
            pads[i] = SHA256.HashData(pair);
        }
        return pads;
    }
}
