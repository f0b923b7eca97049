using System.Buffers;

namespace P2PShare.Engine;

/// <summary>
/// The engine's read cache for uploads: windows of piece data of every torrent under one byte budget, least recently
/// used dropped first, so a thousand seeded torrents share one bound instead of each keeping its own. Thread-safe.
/// </summary>
internal sealed class SharedReadCache(long capacityBytes)
{
    private readonly object _gate = new();
    private readonly LinkedList<Window> _lru = new();
    private readonly Dictionary<(object Owner, int Piece, int Start), LinkedListNode<Window>> _windows = [];
    private long _bytes;

    private sealed record Window(object Owner, int Piece, int Start, int Length, byte[] Data);

    public long CapacityBytes => capacityBytes;

    public long CachedBytes
    {
        get { lock (_gate) return _bytes; }
    }

    /// <summary>Copies from a cached window of <paramref name="owner"/>'s piece; false when it is not cached.</summary>
    public bool TryCopy(object owner, int piece, int start, int offset, Span<byte> destination)
    {
        lock (_gate)
        {
            if (!_windows.TryGetValue((owner, piece, start), out var node))
                return false;
            _lru.Remove(node);
            _lru.AddFirst(node);
            node.Value.Data.AsSpan(offset - start, destination.Length).CopyTo(destination);
            return true;
        }
    }

    /// <summary>Keeps a window (a buffer rented from the shared array pool: the cache returns it when it drops the window).</summary>
    public void Add(object owner, int piece, int start, int length, byte[] data)
    {
        lock (_gate)
        {
            if (_windows.ContainsKey((owner, piece, start)))
            {
                // Another peer read the same window meanwhile.
                ArrayPool<byte>.Shared.Return(data);
                return;
            }
            _windows[(owner, piece, start)] = _lru.AddFirst(new Window(owner, piece, start, length, data));
            _bytes += length;
            while (_bytes > capacityBytes && _lru.Last is { } oldest)
                Drop(oldest);
        }
    }

    /// <summary>Drops every window of <paramref name="owner"/> (a torrent that stops).</summary>
    public void Clear(object owner)
    {
        lock (_gate)
        {
            for (var node = _lru.First; node is not null;)
            {
                var next = node.Next;
                if (ReferenceEquals(node.Value.Owner, owner))
                    Drop(node);
                node = next;
            }
        }
    }

    private void Drop(LinkedListNode<Window> node)
    {
        _lru.Remove(node);
        _windows.Remove((node.Value.Owner, node.Value.Piece, node.Value.Start));
        _bytes -= node.Value.Length;
        ArrayPool<byte>.Shared.Return(node.Value.Data);
    }
}
