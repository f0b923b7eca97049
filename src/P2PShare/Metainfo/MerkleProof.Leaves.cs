using System.Numerics;
using System.Security.Cryptography;

namespace P2PShare.Metainfo;

internal static partial class MerkleProof
{
    /// <summary>
    /// The answer to a range request below the layer we hold whole (<paramref name="upper"/>: the file's piece layer, or
    /// its root for a file of one piece, at <paramref name="upperLayer"/>), from the leaf hashes of the pieces the range
    /// lies in. <paramref name="leaves"/> holds the leaves of consecutive pieces starting at leaf
    /// <paramref name="firstLeaf"/>, each piece's leaves padded with zero hashes to its full width
    /// (2^<paramref name="upperLayer"/>); the base hashes and the uncles below <paramref name="upperLayer"/> come from
    /// them, the uncles above from <paramref name="upper"/>. Null when the range is not valid, not below
    /// <paramref name="upperLayer"/>, or not inside the leaves given.
    /// </summary>
    public static byte[]? AnswerFromLeaves(ReadOnlySpan<byte> leaves, long firstLeaf, ReadOnlySpan<byte> upper, int upperLayer, long fileLength,
        int baseLayer, long index, int length, int proofLayers)
    {
        if (baseLayer >= upperLayer || !IsValidRange(fileLength, baseLayer, index, length, proofLayers))
            return null;
        var pieceWidth = 1L << upperLayer;
        var leafCount = leaves.Length / MerkleTree.HashSize;
        if (leaves.Length % MerkleTree.HashSize != 0 || leafCount == 0 || leafCount % pieceWidth != 0 || firstLeaf % pieceWidth != 0)
            return null;
        if (index << baseLayer < firstLeaf || (index + length) << baseLayer > firstLeaf + leafCount)
            return null;

        // The pieces' subtrees, layer by layer from the leaves up to (not including) the layer we hold.
        var lower = new byte[upperLayer][];
        lower[0] = leaves.ToArray();
        for (var level = 1; level < upperLayer; level++)
        {
            var below = lower[level - 1];
            var next = new byte[below.Length / 2];
            for (var i = 0; i < next.Length / MerkleTree.HashSize; i++)
                SHA256.HashData(below.AsSpan(2 * i * MerkleTree.HashSize, 2 * MerkleTree.HashSize), next.AsSpan(i * MerkleTree.HashSize, MerkleTree.HashSize));
            lower[level] = next;
        }
        var above = BuildLayers(upper, upperLayer, fileLength);

        var uncles = UncleCount(length, proofLayers);
        var answer = new byte[(length + uncles) * MerkleTree.HashSize];
        for (var i = 0; i < length; i++)
            Node(lower, above, upperLayer, firstLeaf, baseLayer, index + i).CopyTo(answer.AsSpan(i * MerkleTree.HashSize));
        var uncleLevel = baseLayer + BitOperations.Log2((uint)length);
        var position = index / length;
        for (var u = 0; u < uncles; u++, uncleLevel++, position /= 2)
            Node(lower, above, upperLayer, firstLeaf, uncleLevel, position ^ 1).CopyTo(answer.AsSpan((length + u) * MerkleTree.HashSize));
        return answer;
    }

    private static ReadOnlySpan<byte> Node(byte[][] lower, byte[][] above, int upperLayer, long firstLeaf, int level, long index)
    {
        if (level >= upperLayer)
            return above[level - upperLayer].AsSpan((int)index * MerkleTree.HashSize, MerkleTree.HashSize);
        var start = firstLeaf >> level;
        return lower[level].AsSpan((int)(index - start) * MerkleTree.HashSize, MerkleTree.HashSize);
    }
}
