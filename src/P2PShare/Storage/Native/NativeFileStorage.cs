using P2PShare.Engine.Native;
using P2PShare.Protocol.Native;

namespace P2PShare.Storage.Native;

/// <summary>A native node's storage on the local disk: the data file at the user's path, the resume file beside it.</summary>
internal sealed class NativeFileStorage : INativeFileStorage
{
    public long? DataFileLength(string path) => File.Exists(path) ? new FileInfo(path).Length : null;

    public Task<NativeFileDescriptor> DescribeAsync(string path, CancellationToken cancellationToken) =>
        NativeFileHasher.DescribeAsync(path, withPieceHashes: true, cancellationToken);

    public INativePieceStore OpenForSeeding(string path, NativeFileDescriptor file) => NativeFileStore.OpenForSeeding(path, file);

    public INativePieceStore OpenForDownload(string path, NativeFileDescriptor file) => NativeFileStore.OpenForDownload(path, file);

    public INativeResumeStore OpenResume(string dataFilePath) => new NativeResumeFile(dataFilePath);
}
