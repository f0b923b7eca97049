using System.Buffers;

namespace P2PShare.Engine;

/// <summary>
/// A bounded cache of piece data read for uploading. Peers ask for a piece's blocks in order, so one
/// positional read of a window (up to 1 MiB) serves many requests instead of one read per 16 KiB block.
/// Least recently used windows are dropped past the byte budget. Thread-safe.
/// </summary>
internal sealed class BlockReadCache(IPieceStore store, Func<int, int> pieceSize, long capacityBytes)
{
    public const int WindowLength = 1024 * 1024;
    private readonly object _gate = new();
    private readonly LinkedList<Window> _lru = new();
    private readonly Dictionary<(int Piece, int Start), LinkedListNode<Window>> _windows = [];
    private long _bytes;

    private sealed record Window(int Piece, int Start, int Length, byte[] Data);

    public long CachedBytes
    {
        get
        {
            lock (_gate)
                return _bytes;
        }
    }

    public async ValueTask ReadAsync(int piece, int offset, Memory<byte> destination, CancellationToken cancellationToken)
    {
        var start = offset / WindowLength * WindowLength;
        var length = Math.Min(WindowLength, pieceSize(piece) - start);
        if (offset + destination.Length > start + length || length > capacityBytes)
        {
            // A block straddling windows (not a 16 KiB-aligned request) goes straight to disk.
            await store.ReadAsync(piece, offset, destination, cancellationToken).ConfigureAwait(false);
            return;
        }
        if (TryCopy(piece, start, offset, destination.Span))
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
        Add(new Window(piece, start, length, data));
    }

    public void Clear()
    {
        lock (_gate)
        {
            foreach (var window in _lru)
                ArrayPool<byte>.Shared.Return(window.Data);
            _lru.Clear();
            _windows.Clear();
            _bytes = 0;
        }
    }

    private bool TryCopy(int piece, int start, int offset, Span<byte> destination)
    {
        lock (_gate)
        {
            if (!_windows.TryGetValue((piece, start), out var node))
                return false;
            _lru.Remove(node);
            _lru.AddFirst(node);
            node.Value.Data.AsSpan(offset - start, destination.Length).CopyTo(destination);
            return true;
        }
    }

    private void Add(Window window)
    {
        lock (_gate)
        {
            if (_windows.ContainsKey((window.Piece, window.Start)))
            {
                // Another peer read the same window meanwhile.
                ArrayPool<byte>.Shared.Return(window.Data);
                return;
            }
            _windows[(window.Piece, window.Start)] = _lru.AddFirst(window);
            _bytes += window.Length;
            while (_bytes > capacityBytes && _lru.Last is { } oldest)
            {
                _lru.RemoveLast();
                _windows.Remove((oldest.Value.Piece, oldest.Value.Start));
                _bytes -= oldest.Value.Length;
                ArrayPool<byte>.Shared.Return(oldest.Value.Data);
            }
        }
    }
}
