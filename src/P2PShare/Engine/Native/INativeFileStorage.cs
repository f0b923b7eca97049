using P2PShare.Protocol.Native;

namespace P2PShare.Engine.Native;

/// <summary>
/// Opens the storage of a node's one file: the data file and the resume state beside it. Declared here
/// so the node does not depend on the storage layer (like <see cref="IPieceStore"/> for torrents);
/// Storage/Native implements it and the host passes it in.
/// </summary>
internal interface INativeFileStorage
{
    /// <summary>Length of the data file at <paramref name="path"/>, or null when there is none.</summary>
    long? DataFileLength(string path);

    /// <summary>Hashes a complete local file (whole-file and per-piece SHA-1) so it can be seeded.</summary>
    Task<NativeFileDescriptor> DescribeAsync(string path, CancellationToken cancellationToken);

    /// <summary>Opens a complete file read-only.</summary>
    INativePieceStore OpenForSeeding(string path, NativeFileDescriptor file);

    /// <summary>Opens (or creates) the download target at its final length.</summary>
    INativePieceStore OpenForDownload(string path, NativeFileDescriptor file);

    /// <summary>The resume state kept for the data file at <paramref name="dataFilePath"/>.</summary>
    INativeResumeStore OpenResume(string dataFilePath);
}
