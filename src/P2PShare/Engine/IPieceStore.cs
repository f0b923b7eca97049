using P2PShare.Protocol;

namespace P2PShare.Engine;

/// <summary>
/// Where the engine keeps piece data. The engine hands over whole verified pieces and reads blocks
/// back to serve peers; the storage layer maps them onto the torrent's files.
/// </summary>
internal interface IPieceStore : IAsyncDisposable
{
    /// <summary>Writes a whole piece, already SHA-1 verified, at its place in the files.</summary>
    ValueTask WritePieceAsync(int pieceIndex, ReadOnlyMemory<byte> data, CancellationToken cancellationToken);

    /// <summary>Reads part of a piece we have (to serve a peer's request).</summary>
    ValueTask ReadAsync(int pieceIndex, int offset, Memory<byte> destination, CancellationToken cancellationToken);

    /// <summary>Makes written data durable (fsync), so resume data may then claim it.</summary>
    ValueTask FlushAsync(CancellationToken cancellationToken);
}
