using System.Numerics;
using System.Security.Cryptography;

namespace P2PShare.Metainfo;

/// <summary>
/// BEP 52 hash ranges with their proofs. Layers are numbered from the 16 KiB block hashes (0) up to the file's root
/// (<see cref="Height"/>); a range is <c>length</c> nodes of one layer starting at a multiple of <c>length</c> (a power of
/// two, at least 2), so they span one subtree, followed by "uncle" hashes: the sibling of that subtree's root, then of its
/// parent, and so on. As libtorrent counts proof layers, the uncles sit at the levels above the base from log2(length) up
/// to the proof layers inclusive, so a proof that reaches the root of a tree of height H asks for H - base - 1 proof
/// layers. Nodes past the end of the file are pad hashes.
/// </summary>
internal static partial class MerkleProof
{
    /// <summary>The layer of a file's tree whose nodes each cover one piece.</summary>
    public static int PieceLayer(int pieceLength) => BitOperations.Log2((uint)(pieceLength / MerkleTree.BlockSize));

    /// <summary>The root's layer in a file's tree: log2 of its leaf count.</summary>
    public static int Height(long fileLength) => BitOperations.Log2((ulong)MerkleTree.LeafCount(fileLength));

    /// <summary>Nodes in a layer of a file's tree, padding included (at least 1).</summary>
    public static long LayerWidth(long fileLength, int layer) => Math.Max(1, MerkleTree.LeafCount(fileLength) >> layer);

    /// <summary>
    /// Whether a range is one a peer may ask of a file: a power-of-two length of at least 2, an index that is a multiple of
    /// it, inside the layer, and no uncle at or above the root.
    /// </summary>
    public static bool IsValidRange(long fileLength, int baseLayer, long index, int length, int proofLayers)
    {
        var height = Height(fileLength);
        if (baseLayer < 0 || baseLayer > height || length < 2 || !BitOperations.IsPow2(length) || index < 0 || index % length != 0)
            return false;
        if (index + length > LayerWidth(fileLength, baseLayer))
            return false;
        return proofLayers >= 0 && proofLayers <= height - baseLayer - 1;
    }

    /// <summary>
    /// The answer to a range request from a layer we hold whole (<paramref name="known"/>: the file's nodes of
    /// <paramref name="knownLayer"/>, without padding): the base hashes, then the uncles. Null when the range is not
    /// valid or not of the layer we hold.
    /// </summary>
    public static byte[]? Answer(ReadOnlySpan<byte> known, int knownLayer, long fileLength, int baseLayer, long index, int length, int proofLayers)
    {
        if (baseLayer != knownLayer || !IsValidRange(fileLength, baseLayer, index, length, proofLayers))
            return null;
        var layers = BuildLayers(known, knownLayer, fileLength);
        var uncles = UncleCount(length, proofLayers);
        var answer = new byte[(length + uncles) * MerkleTree.HashSize];
        var bottom = layers[0];
        for (var i = 0; i < length; i++)
            bottom.AsSpan((int)(index + i) * MerkleTree.HashSize, MerkleTree.HashSize).CopyTo(answer.AsSpan(i * MerkleTree.HashSize));
        var level = BitOperations.Log2((uint)length);
        var position = index / length;
        for (var u = 0; u < uncles; u++, level++, position /= 2)
            layers[level].AsSpan((int)(position ^ 1) * MerkleTree.HashSize, MerkleTree.HashSize).CopyTo(answer.AsSpan((length + u) * MerkleTree.HashSize));
        return answer;
    }

    /// <summary>Uncle hashes after <paramref name="length"/> base hashes (a power of two, at least 2) for that many proof layers.</summary>
    public static int UncleCount(int length, int proofLayers) => Math.Max(0, proofLayers - BitOperations.Log2((uint)length) + 1);

    /// <summary>The proof layers that make an answer of <paramref name="length"/> hashes reach the node at
    /// <paramref name="levelsUp"/> levels above the base (the file's root: its height minus the base layer).</summary>
    public static int ProofLayersTo(int levelsUp) => Math.Max(0, levelsUp - 1);

    /// <summary>
    /// Folds a range answer up to the highest node it proves: the root of the base hashes' subtree, then with each
    /// uncle one layer higher. Returns that node's layer and index, and its hash in <paramref name="top"/>.
    /// </summary>
    public static (int Layer, long Index) Fold(ReadOnlySpan<byte> answer, int baseLayer, long index, int length, Span<byte> top)
    {
        if (length <= 0 || !BitOperations.IsPow2(length) || index % length != 0 || answer.Length < length * MerkleTree.HashSize
            || answer.Length % MerkleTree.HashSize != 0)
            throw new ArgumentException("not a range answer: a power-of-two run of 32-byte hashes at a multiple of its length");
        MerkleTree.Root(answer[..(length * MerkleTree.HashSize)], length, baseLayer, top);
        var layer = baseLayer + BitOperations.Log2((uint)length);
        var position = index / length;
        Span<byte> pair = stackalloc byte[2 * MerkleTree.HashSize];
        for (var offset = length * MerkleTree.HashSize; offset < answer.Length; offset += MerkleTree.HashSize, layer++, position /= 2)
        {
            var uncle = answer.Slice(offset, MerkleTree.HashSize);
            if ((position & 1) == 0)
            {
                top.CopyTo(pair);
                uncle.CopyTo(pair[MerkleTree.HashSize..]);
            }
            else
            {
                uncle.CopyTo(pair);
                top.CopyTo(pair[MerkleTree.HashSize..]);
            }
            SHA256.HashData(pair, top);
        }
        return (layer, position);
    }

    /// <summary>Every layer from <paramref name="knownLayer"/> up to the root, padded to its full width.</summary>
    internal static byte[][] BuildLayers(ReadOnlySpan<byte> known, int knownLayer, long fileLength)
    {
        var height = Height(fileLength);
        var layers = new byte[height - knownLayer + 1][];
        var width = LayerWidth(fileLength, knownLayer);
        var bottom = new byte[width * MerkleTree.HashSize];
        known[..Math.Min(known.Length, bottom.Length)].CopyTo(bottom);
        for (var i = known.Length / MerkleTree.HashSize; i < width; i++)
            MerkleTree.PadHash(knownLayer).CopyTo(bottom.AsSpan(i * MerkleTree.HashSize));
        layers[0] = bottom;
        for (var l = 1; l < layers.Length; l++)
        {
            var below = layers[l - 1];
            var next = new byte[below.Length / 2];
            for (var i = 0; i < next.Length / MerkleTree.HashSize; i++)
                SHA256.HashData(below.AsSpan(2 * i * MerkleTree.HashSize, 2 * MerkleTree.HashSize), next.AsSpan(i * MerkleTree.HashSize, MerkleTree.HashSize));
            layers[l] = next;
        }
        return layers;
    }
}
