using System.Buffers;

namespace P2PShare.Metainfo;

/// <summary>
/// Reads a whole file that must be small (a .torrent named on the command line, over the RPC, or dropped in a watch
/// directory). The bound holds while reading, not only against the size the file system reports: a character device
/// such as /dev/zero reports 0 bytes and never ends, and a file can grow while it is read.
/// </summary>
internal static class BoundedFile
{
    /// <summary>The file's bytes, or null when it holds more than <paramref name="maxBytes"/>.</summary>
    public static async Task<byte[]?> ReadAsync(string path, long maxBytes, CancellationToken cancellationToken)
    {
        await using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite, bufferSize: 1,
            FileOptions.Asynchronous | FileOptions.SequentialScan);
        using var content = new MemoryStream();
        var chunk = ArrayPool<byte>.Shared.Rent(64 * 1024);
        try
        {
            while (true)
            {
                var room = (int)Math.Min(chunk.Length, maxBytes + 1 - content.Length);
                var read = await stream.ReadAsync(chunk.AsMemory(0, room), cancellationToken).ConfigureAwait(false);
                if (read == 0)
                    return content.ToArray();
                content.Write(chunk, 0, read);
                if (content.Length > maxBytes)
                    return null;
            }
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(chunk);
        }
    }
}
