namespace P2PShare.Engine.Native;

/// <summary>
/// The shared file's bytes, at piece positions. The node writes whole pieces it has checked and reads
/// them back to upload; the storage layer owns the file and where it is.
/// </summary>
internal interface INativePieceStore : IDisposable
{
    /// <summary>Reads a whole piece into <paramref name="destination"/>; returns its length.</summary>
    ValueTask<int> ReadPieceAsync(int index, Memory<byte> destination, CancellationToken cancellationToken);

    /// <summary>Writes a whole piece, exactly its length.</summary>
    ValueTask WritePieceAsync(int index, ReadOnlyMemory<byte> data, CancellationToken cancellationToken);

    /// <summary>Makes written pieces durable, so a bitmap saved afterwards may list them.</summary>
    void Flush();

    /// <summary>SHA-1 of the whole file, lowercase hex.</summary>
    Task<string> ComputeFileHashAsync(CancellationToken cancellationToken);
}
