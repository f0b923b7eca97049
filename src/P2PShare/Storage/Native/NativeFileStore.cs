using System.Buffers;
using System.Security.Cryptography;
using Microsoft.Win32.SafeHandles;
using P2PShare.Engine.Native;
using P2PShare.Protocol.Native;

namespace P2PShare.Storage.Native;

/// <summary>
/// The shared file on disk, read and written at piece offsets with <see cref="RandomAccess"/>.
/// Only ever touches the path the user gave; nothing a peer says changes where bytes go.
/// </summary>
internal sealed class NativeFileStore : INativePieceStore
{
    private readonly SafeFileHandle _handle;

    private NativeFileStore(string path, SafeFileHandle handle, NativeFileDescriptor file)
    {
        FilePath = path;
        _handle = handle;
        File = file;
    }

    public string FilePath { get; }

    public NativeFileDescriptor File { get; }

    /// <summary>Opens a complete file read-only for seeding.</summary>
    public static NativeFileStore OpenForSeeding(string path, NativeFileDescriptor file) =>
        new(path, System.IO.File.OpenHandle(path, FileMode.Open, FileAccess.Read, FileShare.Read, FileOptions.Asynchronous), file);

    /// <summary>Opens (or creates) the download target and gives it its final length (sparse where supported).</summary>
    public static NativeFileStore OpenForDownload(string path, NativeFileDescriptor file)
    {
        var handle = System.IO.File.OpenHandle(path, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.Read, FileOptions.Asynchronous);
        try
        {
            if (RandomAccess.GetLength(handle) != file.FileSize)
                RandomAccess.SetLength(handle, file.FileSize);
        }
        catch
        {
            handle.Dispose();
            throw;
        }
        return new NativeFileStore(path, handle, file);
    }

    public async ValueTask<int> ReadPieceAsync(int index, Memory<byte> destination, CancellationToken cancellationToken)
    {
        var length = File.PieceLength(index);
        var offset = File.PieceOffset(index);
        var total = await PositionalRead.FillAsync(_handle, destination[..length], offset, cancellationToken).ConfigureAwait(false);
        if (total < length)
            throw new IOException($"{FilePath} ended before piece {index} was read");
        return total;
    }

    public ValueTask WritePieceAsync(int index, ReadOnlyMemory<byte> data, CancellationToken cancellationToken)
    {
        if (data.Length != File.PieceLength(index))
            throw new ArgumentException($"piece {index} must be {File.PieceLength(index)} bytes, not {data.Length}", nameof(data));
        return RandomAccess.WriteAsync(_handle, data, File.PieceOffset(index), cancellationToken);
    }

    /// <summary>Makes written pieces durable before the bitmap that lists them is saved.</summary>
    public void Flush() => RandomAccess.FlushToDisk(_handle);

    public async Task<string> ComputeFileHashAsync(CancellationToken cancellationToken)
    {
        using var sha1 = IncrementalHash.CreateHash(HashAlgorithmName.SHA1);
        var buffer = ArrayPool<byte>.Shared.Rent(1024 * 1024);
        try
        {
            long offset = 0;
            while (offset < File.FileSize)
            {
                var read = await RandomAccess.ReadAsync(_handle, buffer.AsMemory(0, (int)Math.Min(buffer.Length, File.FileSize - offset)), offset, cancellationToken).ConfigureAwait(false);
                if (read == 0)
                    throw new IOException($"{FilePath} is shorter than {File.FileSize} bytes");
                sha1.AppendData(buffer, 0, read);
                offset += read;
            }
            return Convert.ToHexStringLower(sha1.GetHashAndReset());
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    public void Dispose() => _handle.Dispose();
}
