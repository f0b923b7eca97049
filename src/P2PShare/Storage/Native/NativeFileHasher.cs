using System.Buffers;
using System.Security.Cryptography;
using P2PShare.Protocol.Native;

namespace P2PShare.Storage.Native;

/// <summary>Describes a complete local file for seeding: whole-file SHA-1 and per-piece SHA-1 in one pass.</summary>
internal static class NativeFileHasher
{
    public static async Task<NativeFileDescriptor> DescribeAsync(string path, bool withPieceHashes, CancellationToken cancellationToken)
    {
        using var handle = File.OpenHandle(path, FileMode.Open, FileAccess.Read, FileShare.Read, FileOptions.Asynchronous | FileOptions.SequentialScan);
        var size = RandomAccess.GetLength(handle);
        var pieceSize = NativeFileDescriptor.PieceSizeFor(size);
        var descriptor = new NativeFileDescriptor(Path.GetFileName(path), size, "", pieceSize);
        if (!NativeFileDescriptor.IsAcceptable(size, pieceSize, NativeCodecLimits.Default, out var reason))
            throw new InvalidDataException($"{path}: {reason}");
        using var whole = IncrementalHash.CreateHash(HashAlgorithmName.SHA1);
        var pieceHashes = withPieceHashes ? new List<string>(descriptor.PieceCount) : null;
        var buffer = ArrayPool<byte>.Shared.Rent(Math.Max(1, pieceSize));
        try
        {
            for (var index = 0; index < descriptor.PieceCount; index++)
            {
                var length = descriptor.PieceLength(index);
                if (await PositionalRead.FillAsync(handle, buffer.AsMemory(0, length), descriptor.PieceOffset(index), cancellationToken).ConfigureAwait(false) < length)
                    throw new IOException($"{path} shrank while it was being hashed");
                whole.AppendData(buffer, 0, length);
                pieceHashes?.Add(Convert.ToHexStringLower(SHA1.HashData(buffer.AsSpan(0, length))));
            }
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
        return descriptor with { FileHash = Convert.ToHexStringLower(whole.GetHashAndReset()), PieceHashes = pieceHashes };
    }
}
