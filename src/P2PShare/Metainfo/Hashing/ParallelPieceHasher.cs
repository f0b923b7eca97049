using System.Buffers;
using System.Security.Cryptography;
using System.Threading.Channels;

namespace P2PShare.Metainfo.Hashing;

/// <summary>
/// Hashes a torrent's data piece by piece on all cores. One reader walks the files sequentially (the fastest access
/// pattern for disks and the page cache) into large pooled chunks of whole pieces; workers hash the chunks. A bounded
/// channel keeps memory at roughly (2 × workers + 2) chunks whatever the data size.
/// </summary>
public static class ParallelPieceHasher
{
    /// <summary>Target chunk size: large reads, few channel hand-offs, still a small memory bound.</summary>
    internal const int TargetChunkBytes = 4 * 1024 * 1024;

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

        long totalLength = 0;
        foreach (var source in sources)
        {
            ArgumentNullException.ThrowIfNull(source, nameof(sources));
            if (source.Length < 0)
                throw new ArgumentException($"source '{source.Path}' has a negative length", nameof(sources));
            totalLength = checked(totalLength + source.Length);
        }
        if (totalLength == 0)
            return;
        var pieceCount = (totalLength + pieceLength - 1) / pieceLength;
        if (pieceCount > int.MaxValue)
            throw new ArgumentException($"{pieceCount} pieces of {pieceLength} bytes: too many pieces", nameof(pieceLength));

        var layout = new ChunkLayout(pieceLength, Math.Max(1, TargetChunkBytes / pieceLength), totalLength);
        // Reader holds one chunk, each worker one, the channel the rest: about 2 × workers + 2 in flight.
        var channel = Channel.CreateBounded<Chunk>(new BoundedChannelOptions(workers + 1)
        {
            SingleWriter = true,
            SingleReader = workers == 1,
            FullMode = BoundedChannelFullMode.Wait,
        });
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var progress = new ProgressCounter(bytesHashed);

        var tasks = new Task[workers + 1];
        tasks[0] = Task.Run(() => ReadAll(sources, layout, channel.Writer, tolerateMissing, stop), CancellationToken.None);
        for (var i = 1; i <= workers; i++)
            tasks[i] = Task.Run(() => HashAllAsync(channel.Reader, pieceLength, onPiece, progress, stop), CancellationToken.None);

        try
        {
            await Task.WhenAll(tasks).ConfigureAwait(false);
        }
        catch
        {
            // Report the root cause, not the cancellations it triggered in the other tasks.
            var rootCause = tasks.Where(t => t.IsFaulted).Select(t => t.Exception!.InnerException!)
                .FirstOrDefault(e => e is not OperationCanceledException);
            if (rootCause is not null)
                System.Runtime.ExceptionServices.ExceptionDispatchInfo.Throw(rootCause);
            cancellationToken.ThrowIfCancellationRequested();
            throw;
        }
        finally
        {
            while (channel.Reader.TryRead(out var leftover))
                leftover.Release();
        }
    }

    private static void ReadAll(
        IReadOnlyList<HashSource> sources, ChunkLayout layout, ChannelWriter<Chunk> writer, bool tolerateMissing,
        CancellationTokenSource stop)
    {
        var token = stop.Token;
        Chunk? chunk = null;
        try
        {
            long chunkStart = 0;
            chunk = Chunk.Rent(layout, 0);
            var filled = 0;

            foreach (var source in sources)
            {
                using var file = OpenSource(source, tolerateMissing);
                long sourceOffset = 0;
                while (sourceOffset < source.Length)
                {
                    token.ThrowIfCancellationRequested();
                    if (filled == chunk.Length)
                    {
                        Publish(writer, chunk, token);
                        chunkStart += chunk.Length;
                        chunk = null;
                        chunk = Chunk.Rent(layout, chunkStart);
                        filled = 0;
                    }
                    var want = (int)Math.Min(chunk.Length - filled, source.Length - sourceOffset);
                    var destination = chunk.Buffer.AsSpan(filled, want);
                    var got = file is null ? 0 : ReadFully(file, destination, sourceOffset);
                    if (got < want)
                    {
                        if (file is not null && !tolerateMissing)
                            throw new IOException(
                                $"'{source.Path}' is shorter than expected: {sourceOffset + got} bytes, expected {source.Length}");
                        destination[got..].Clear();
                        if (source.Path is not null)
                            chunk.MarkMissing(filled + got, want - got);
                    }
                    filled += want;
                    sourceOffset += want;
                }
            }
            if (filled > 0)
                Publish(writer, chunk, token);
            else
                chunk.Release();
            chunk = null;
            writer.Complete();
        }
        catch (Exception e)
        {
            chunk?.Release();
            writer.TryComplete(e);
            stop.Cancel();
            throw;
        }
    }

    private static void Publish(ChannelWriter<Chunk> writer, Chunk chunk, CancellationToken token)
    {
        // The reader runs on its own thread; blocking it while the workers catch up is the back-pressure we want.
        if (!writer.TryWrite(chunk))
            writer.WriteAsync(chunk, token).AsTask().GetAwaiter().GetResult();
    }

    /// <summary>Opens a source; null for padding, and for a missing file when that is tolerated.</summary>
    private static Microsoft.Win32.SafeHandles.SafeFileHandle? OpenSource(HashSource source, bool tolerateMissing)
    {
        if (source.Path is null || source.Length == 0)
            return null;
        try
        {
            return File.OpenHandle(source.Path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite, FileOptions.SequentialScan);
        }
        catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException)
        {
            if (tolerateMissing)
                return null;
            throw new FileNotFoundException($"file not found: '{source.Path}'", source.Path, e);
        }
    }

    private static int ReadFully(Microsoft.Win32.SafeHandles.SafeFileHandle file, Span<byte> destination, long offset)
    {
        var total = 0;
        while (total < destination.Length)
        {
            var read = RandomAccess.Read(file, destination[total..], offset + total);
            if (read == 0)
                break;
            total += read;
        }
        return total;
    }

    private static async Task HashAllAsync(
        ChannelReader<Chunk> reader, int pieceLength, PieceHashCallback onPiece, ProgressCounter progress,
        CancellationTokenSource stop)
    {
        var token = stop.Token;
        try
        {
            while (await reader.WaitToReadAsync(token).ConfigureAwait(false))
            {
                while (reader.TryRead(out var chunk))
                {
                    try
                    {
                        HashChunk(chunk, pieceLength, onPiece, token);
                        progress.Add(chunk.Length);
                    }
                    finally
                    {
                        chunk.Release();
                    }
                }
            }
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            stop.Cancel();
            throw;
        }
    }

    private static void HashChunk(Chunk chunk, int pieceLength, PieceHashCallback onPiece, CancellationToken token)
    {
        Span<byte> hash = stackalloc byte[SHA1.HashSizeInBytes];
        var data = chunk.Buffer.AsSpan(0, chunk.Length);
        for (int offset = 0, index = 0; offset < data.Length; offset += pieceLength, index++)
        {
            token.ThrowIfCancellationRequested();
            var piece = data.Slice(offset, Math.Min(pieceLength, data.Length - offset));
            if (chunk.IsMissing(index))
            {
                onPiece(chunk.FirstPiece + index, ReadOnlySpan<byte>.Empty);
                continue;
            }
            SHA1.HashData(piece, hash);
            onPiece(chunk.FirstPiece + index, hash);
        }
    }

    private sealed record ChunkLayout(int PieceLength, int PiecesPerChunk, long TotalLength)
    {
        public int ChunkBytes => PieceLength * PiecesPerChunk;
    }

    /// <summary>A run of whole pieces in a pooled buffer, with the pieces whose bytes are (partly) missing.</summary>
    private sealed class Chunk
    {
        private bool[]? _missing;
        private int _pieceLength;

        public byte[] Buffer { get; private set; } = [];
        public int Length { get; private set; }
        public int FirstPiece { get; private set; }

        public static Chunk Rent(ChunkLayout layout, long start)
        {
            var length = (int)Math.Min(layout.ChunkBytes, layout.TotalLength - start);
            return new Chunk
            {
                Buffer = ArrayPool<byte>.Shared.Rent(length),
                Length = length,
                FirstPiece = (int)(start / layout.PieceLength),
                _pieceLength = layout.PieceLength,
            };
        }

        public void MarkMissing(int offset, int count)
        {
            _missing ??= new bool[(Length + _pieceLength - 1) / _pieceLength];
            for (var piece = offset / _pieceLength; piece <= (offset + count - 1) / _pieceLength; piece++)
                _missing[piece] = true;
        }

        public bool IsMissing(int pieceInChunk) => _missing is not null && _missing[pieceInChunk];

        public void Release()
        {
            var buffer = Buffer;
            Buffer = [];
            if (buffer.Length > 0)
                ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    private sealed class ProgressCounter(IProgress<long>? sink)
    {
        private long _total;

        public void Add(long bytes)
        {
            var total = Interlocked.Add(ref _total, bytes);
            sink?.Report(total);
        }
    }
}
