using System.Buffers;

namespace P2PShare.Engine;

/// <summary>
/// A torrent's view of the engine's <see cref="SharedReadCache"/>, for uploading. Peers ask for a piece's blocks in
/// order, so one positional read of a window (up to 1 MiB) serves many requests instead of one read per 16 KiB block.
/// </summary>
internal sealed class BlockReadCache(IPieceStore store, Func<int, int> pieceSize, SharedReadCache cache)
{
    public const int WindowLength = 1024 * 1024;

    /// <summary>A cache of this torrent's own (a torrent alone, in tests).</summary>
    public BlockReadCache(IPieceStore store, Func<int, int> pieceSize, long capacityBytes)
        : this(store, pieceSize, new SharedReadCache(capacityBytes))
    {
    }

    public long CachedBytes => cache.CachedBytes;

    public async ValueTask ReadAsync(int piece, int offset, Memory<byte> destination, CancellationToken cancellationToken)
    {
        var start = offset / WindowLength * WindowLength;
        var length = Math.Min(WindowLength, pieceSize(piece) - start);
        if (offset + destination.Length > start + length || length > cache.CapacityBytes)
        {
            // A block straddling windows (not a 16 KiB-aligned request) goes straight to disk.
            await store.ReadAsync(piece, offset, destination, cancellationToken).ConfigureAwait(false);
            return;
        }
        if (cache.TryCopy(this, piece, start, offset, destination.Span))
            return;
        var data = ArrayPool<byte>.Shared.Rent(length);
        try
        {
            await store.ReadAsync(piece, start, data.AsMemory(0, length), cancellationToken).ConfigureAwait(false);
        }
        catch
        {
            ArrayPool<byte>.Shared.Return(data);
            throw;
        }
        data.AsSpan(offset - start, destination.Length).CopyTo(destination.Span);
        cache.Add(this, piece, start, length, data);
    }

    /// <summary>Copies a block only when its window is cached (never waits on the disk); false when it is not.</summary>
    public bool TryReadCached(int piece, int offset, Span<byte> destination)
    {
        var start = offset / WindowLength * WindowLength;
        var length = Math.Min(WindowLength, pieceSize(piece) - start);
        return offset + destination.Length <= start + length && length <= cache.CapacityBytes && cache.TryCopy(this, piece, start, offset, destination);
    }

    public void Clear() => cache.Clear(this);
}
