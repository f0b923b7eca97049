using P2PShare.Engine;
using P2PShare.Metainfo;

namespace P2PShare.Tests.Engine;

/// <summary>An in-memory stand-in for the storage layer, for engine tests.</summary>
internal sealed class InMemoryPieceStore(Torrent torrent, byte[]? content = null) : IPieceStore
{
    public byte[] Content { get; } = content ?? new byte[torrent.TotalLength];

    public ValueTask WritePieceAsync(int pieceIndex, ReadOnlyMemory<byte> data, CancellationToken cancellationToken)
    {
        lock (Content)
            data.Span.CopyTo(Content.AsSpan((int)torrent.PieceOffset(pieceIndex)));
        return ValueTask.CompletedTask;
    }

    public ValueTask ReadAsync(int pieceIndex, int offset, Memory<byte> destination, CancellationToken cancellationToken)
    {
        lock (Content)
            Content.AsSpan((int)torrent.PieceOffset(pieceIndex) + offset, destination.Length).CopyTo(destination.Span);
        return ValueTask.CompletedTask;
    }

    public ValueTask FlushAsync(CancellationToken cancellationToken) => ValueTask.CompletedTask;

    public ValueTask DisposeAsync() => ValueTask.CompletedTask;
}
