using System.Buffers;
using System.Security.Cryptography;
using P2PShare.Metainfo;

namespace P2PShare.Engine.Native;

/// <summary>
/// What native peers are told of a complete single-file torrent: the file's whole SHA-1 and the SHA-1 of each of its
/// native pieces (the P2PShare extension), computed in one pass over the stored, verified pieces.
/// </summary>
internal sealed record NativeFileSummary(string FileHash, int PieceSize, IReadOnlyList<string> PieceHashes)
{
    /// <summary>Reads the file through <paramref name="store"/> once, a torrent piece at a time (one pooled buffer).</summary>
    public static async Task<NativeFileSummary> ComputeAsync(Torrent torrent, IPieceStore store, int nativePieceSize, CancellationToken cancellationToken)
    {
        var map = new NativePieceMap(torrent.TotalLength, torrent.PieceLength, nativePieceSize);
        using var whole = IncrementalHash.CreateHash(HashAlgorithmName.SHA1);
        using var part = IncrementalHash.CreateHash(HashAlgorithmName.SHA1);
        var hashes = new List<string>(map.NativeCount);
        var buffer = ArrayPool<byte>.Shared.Rent(Math.Max(1, torrent.PieceLength));
        try
        {
            long position = 0;
            for (var piece = 0; piece < torrent.PieceCount; piece++)
            {
                var length = torrent.PieceSize(piece);
                await store.ReadAsync(piece, 0, buffer.AsMemory(0, length), cancellationToken).ConfigureAwait(false);
                whole.AppendData(buffer, 0, length);
                var offset = 0;
                while (offset < length)
                {
                    // Feed the native piece hash up to the next native boundary.
                    var untilBoundary = (int)Math.Min(length - offset, nativePieceSize - position % nativePieceSize);
                    part.AppendData(buffer, offset, untilBoundary);
                    offset += untilBoundary;
                    position += untilBoundary;
                    if (position % nativePieceSize == 0 || position == torrent.TotalLength)
                        hashes.Add(Convert.ToHexStringLower(part.GetHashAndReset()));
                }
            }
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
        return new NativeFileSummary(Convert.ToHexStringLower(whole.GetHashAndReset()), nativePieceSize, hashes);
    }
}
