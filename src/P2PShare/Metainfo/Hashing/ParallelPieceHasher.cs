using System.Buffers;
using System.Security.Cryptography;

namespace P2PShare.Metainfo.Hashing;

/// <summary>
/// Hashes a torrent's data piece by piece on all cores. The data is cut into chunks of whole pieces (about 1 MiB);
/// each worker claims the next chunk, reads it into its own buffer and hashes it while it is still in the CPU cache.
/// Claims go in order, so the files are still read front to back. Memory stays at one chunk per worker.
/// </summary>
internal static class ParallelPieceHasher
{
    /// <summary>Small enough to stay in a core's cache between the read and the hash, large enough for few reads.</summary>
    internal const int TargetChunkBytes = 1024 * 1024;

    /// <summary>
    /// Hashes <paramref name="sources"/> as one stream cut into pieces of <paramref name="pieceLength"/> bytes (the last
    /// one shorter) and calls <paramref name="onPiece"/> once per piece, from several threads and in any order.
    /// <paramref name="bytesHashed"/> receives the running total of bytes hashed (reports may arrive out of order from
    /// different threads: keep the maximum).
    /// With <paramref name="tolerateMissing"/>, a missing or short source file does not fail the run: every piece that
    /// overlaps the missing bytes is reported with an empty hash. Without it, a missing file throws
    /// <see cref="FileNotFoundException"/> and a short one an <see cref="IOException"/>.
    /// </summary>
    public static async Task HashAsync(
        IReadOnlyList<HashSource> sources,
        int pieceLength,
        PieceHashCallback onPiece,
        IProgress<long>? bytesHashed,
        bool tolerateMissing,
        CancellationToken cancellationToken,
        int? degreeOfParallelism = null)
    {
        ArgumentNullException.ThrowIfNull(sources);
        ArgumentNullException.ThrowIfNull(onPiece);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(pieceLength);
        var workers = degreeOfParallelism ?? Environment.ProcessorCount;
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(workers, nameof(degreeOfParallelism));
        foreach (var source in sources)
        {
            ArgumentNullException.ThrowIfNull(source, nameof(sources));
            if (source.Length < 0)
                throw new ArgumentException($"source '{source.Path}' has a negative length", nameof(sources));
        }

        using var reader = new HashSourceReader(sources, tolerateMissing);
        if (reader.TotalLength == 0)
            return;
        var pieceCount = (reader.TotalLength + pieceLength - 1) / pieceLength;
        if (pieceCount > int.MaxValue)
            throw new ArgumentException($"{pieceCount} pieces of {pieceLength} bytes: too many pieces", nameof(pieceLength));

        var run = new HashRun(reader, pieceLength, Math.Max(1, TargetChunkBytes / pieceLength), onPiece, bytesHashed);
        workers = (int)Math.Min(workers, run.ChunkCount);
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var tasks = new Task[workers];
        // Dedicated threads: the work is blocking reads and hashing, which would only starve the thread pool.
        for (var i = 0; i < workers; i++)
            tasks[i] = Task.Factory.StartNew(() => run.Work(stop), CancellationToken.None,
                TaskCreationOptions.LongRunning, TaskScheduler.Default);

        try
        {
            await Task.WhenAll(tasks).ConfigureAwait(false);
        }
        catch
        {
            // Report the root cause, not the cancellations it triggered in the other workers.
            var rootCause = tasks.Where(t => t.IsFaulted).Select(t => t.Exception!.InnerException!)
                .FirstOrDefault(e => e is not OperationCanceledException);
            if (rootCause is not null)
                System.Runtime.ExceptionServices.ExceptionDispatchInfo.Throw(rootCause);
            cancellationToken.ThrowIfCancellationRequested();
            throw;
        }
    }

    /// <summary>The state the workers share: the reader, the next unclaimed chunk and the progress total.</summary>
    private sealed class HashRun(
        HashSourceReader reader, int pieceLength, int piecesPerChunk, PieceHashCallback onPiece, IProgress<long>? progress)
    {
        private readonly long _chunkBytes = (long)pieceLength * piecesPerChunk;
        private long _nextChunk = -1;
        private long _bytesHashed;

        public long ChunkCount => (reader.TotalLength + _chunkBytes - 1) / _chunkBytes;

        public void Work(CancellationTokenSource stop)
        {
            var token = stop.Token;
            var buffer = ArrayPool<byte>.Shared.Rent((int)_chunkBytes);
            var gaps = new ChunkGaps(pieceLength, piecesPerChunk);
            Span<byte> hash = stackalloc byte[SHA1.HashSizeInBytes];
            try
            {
                long chunk;
                while ((chunk = Interlocked.Increment(ref _nextChunk)) < ChunkCount)
                {
                    token.ThrowIfCancellationRequested();
                    var start = chunk * _chunkBytes;
                    var data = buffer.AsSpan(0, (int)Math.Min(_chunkBytes, reader.TotalLength - start));
                    gaps.Clear();
                    reader.Read(start, data, gaps);
                    var firstPiece = (int)(start / pieceLength);
                    for (int offset = 0, index = 0; offset < data.Length; offset += pieceLength, index++)
                    {
                        if (gaps.IsMissing(index))
                        {
                            onPiece(firstPiece + index, ReadOnlySpan<byte>.Empty);
                            continue;
                        }
                        SHA1.HashData(data.Slice(offset, Math.Min(pieceLength, data.Length - offset)), hash);
                        onPiece(firstPiece + index, hash);
                    }
                    progress?.Report(Interlocked.Add(ref _bytesHashed, data.Length));
                }
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                stop.Cancel();
                throw;
            }
            finally
            {
                ArrayPool<byte>.Shared.Return(buffer);
            }
        }
    }
}
