using System.Buffers;
using System.Security.Cryptography;
using Microsoft.Win32.SafeHandles;
using P2PShare.Metainfo;
using P2PShare.Metainfo.Hashing;
using P2PShare.Protocol;

namespace P2PShare.Storage;

/// <summary>
/// Checks the data on disk against the torrent's piece hashes ("recheck"). A full check streams every file once,
/// sequentially, through <see cref="ParallelPieceHasher"/> (hashing on all cores); a check of a few pieces reads just
/// those pieces. Missing or short files are not errors: their pieces are simply not verified.
/// </summary>
internal static class PieceChecker
{
    /// <summary>
    /// Returns the pieces whose data matches their hash. With <paramref name="only"/>, checks just the pieces set in it
    /// (the others are reported as not verified).
    /// </summary>
    public static async Task<Bitfield> CheckAsync(
        Torrent torrent,
        string directory,
        IProgress<PieceCheckProgress>? progress,
        CancellationToken cancellationToken,
        Bitfield? only = null,
        int? degreeOfParallelism = null)
    {
        ArgumentNullException.ThrowIfNull(torrent);
        if (only is not null && only.Length != torrent.PieceCount)
            throw new ArgumentException($"the piece set has {only.Length} bits, the torrent {torrent.PieceCount} pieces", nameof(only));
        var paths = ContentPaths.For(torrent, directory);
        var matches = new bool[torrent.PieceCount];
        if (torrent.V2 is not null && only is null)
        {
            // v2 and hybrid pieces are checked against the merkle trees too, which needs each piece's data.
            only = new Bitfield(torrent.PieceCount);
            only.SetAll();
        }
        if (torrent.V2 is null && (only is null || only.IsComplete))
            await CheckAllAsync(torrent, paths, matches, progress, cancellationToken, degreeOfParallelism).ConfigureAwait(false);
        else if (only is { IsEmpty: false })
            await CheckSomeAsync(torrent, paths, only, matches, progress, cancellationToken, degreeOfParallelism).ConfigureAwait(false);

        var verified = new Bitfield(torrent.PieceCount);
        for (var i = 0; i < matches.Length; i++)
            if (matches[i])
                verified[i] = true;
        return verified;
    }

    private static async Task CheckAllAsync(
        Torrent torrent, ContentPaths paths, bool[] matches, IProgress<PieceCheckProgress>? progress,
        CancellationToken cancellationToken, int? degreeOfParallelism)
    {
        var sources = new List<HashSource>(torrent.Files.Count);
        for (var i = 0; i < torrent.Files.Count; i++)
            if (torrent.Files[i].Length > 0)
                sources.Add(new HashSource(paths[i], torrent.Files[i].Length));

        var bytesProgress = progress is null ? null : new MaxProgress(progress, torrent.TotalLength);
        // Called from several threads, each for distinct pieces: separate array slots need no lock.
        await ParallelPieceHasher.HashAsync(
            sources,
            torrent.PieceLength,
            (piece, hash) => matches[piece] = hash.Length == Torrent.PieceHashLength && hash.SequenceEqual(torrent.PieceHash(piece)),
            bytesProgress,
            tolerateMissing: true,
            cancellationToken,
            degreeOfParallelism).ConfigureAwait(false);
    }

    private static async Task CheckSomeAsync(
        Torrent torrent, ContentPaths paths, Bitfield only, bool[] matches, IProgress<PieceCheckProgress>? progress,
        CancellationToken cancellationToken, int? degreeOfParallelism)
    {
        var layout = new FileLayout(torrent);
        var pieces = only.SetIndices().ToList();
        long total = pieces.Sum(p => (long)torrent.PieceSize(p));
        long done = 0;
        using var handles = new FileHandleCache(64);
        var options = new ParallelOptions
        {
            CancellationToken = cancellationToken,
            MaxDegreeOfParallelism = degreeOfParallelism ?? Environment.ProcessorCount,
        };
        // Pieces go out in ascending order, so the reads stay close to sequential.
        await Parallel.ForEachAsync(pieces, options, async (piece, token) =>
        {
            var size = torrent.PieceSize(piece);
            var buffer = ArrayPool<byte>.Shared.Rent(size);
            try
            {
                if (await TryReadPieceAsync(layout, paths, handles, piece, buffer.AsMemory(0, size), token).ConfigureAwait(false))
                {
                    matches[piece] = torrent.CheckPiece(piece, buffer.AsSpan(0, size)) == PieceCheckResult.Good;
                }
            }
            finally
            {
                ArrayPool<byte>.Shared.Return(buffer);
            }
            progress?.Report(new PieceCheckProgress(Interlocked.Add(ref done, size), total));
        }).ConfigureAwait(false);
    }

    /// <summary>Reads a piece; false when any of its bytes are missing from disk.</summary>
    private static async ValueTask<bool> TryReadPieceAsync(
        FileLayout layout, ContentPaths paths, FileHandleCache handles, int piece, Memory<byte> destination, CancellationToken cancellationToken)
    {
        foreach (var segment in layout.MapPiece(piece))
        {
            var slice = destination.Slice(segment.RangeOffset, segment.Length);
            if (segment.IsPadding)
            {
                slice.Span.Clear();
                continue;
            }
            var path = paths[segment.FileIndex]!;
            FileHandleCache.Lease lease;
            try
            {
                lease = handles.Acquire(segment.FileIndex, writable: false,
                    _ => File.OpenHandle(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite));
            }
            catch (Exception error) when (error is FileNotFoundException or DirectoryNotFoundException)
            {
                return false;
            }
            using (lease)
            {
                if (await PositionalRead.FillAsync(lease.Handle, slice, segment.FileOffset, cancellationToken).ConfigureAwait(false) < slice.Length)
                    return false;
            }
        }
        return true;
    }

    /// <summary>The hasher reports running totals from several threads, possibly out of order: pass on only increases.</summary>
    private sealed class MaxProgress(IProgress<PieceCheckProgress> sink, long total) : IProgress<long>
    {
        private long _max;

        public void Report(long value)
        {
            long seen;
            while (value > (seen = Interlocked.Read(ref _max)))
            {
                if (Interlocked.CompareExchange(ref _max, value, seen) == seen)
                {
                    sink.Report(new PieceCheckProgress(value, total));
                    return;
                }
            }
        }
    }
}
