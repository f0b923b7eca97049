using System.Buffers;
using System.Runtime.InteropServices;
using Microsoft.Win32.SafeHandles;
using P2PShare.Platform;

namespace P2PShare.Metainfo;

/// <summary>
/// Reads a whole file that must be small (a .torrent named on the command line, over the RPC, or dropped in a watch
/// directory). The bound holds while reading, not only against the size the file system reports: a character device
/// such as /dev/zero reports 0 bytes and never ends, and a file can grow while it is read. A FIFO or socket is refused
/// without waiting: opening a FIFO blocks until a writer comes, which would stall the daemon's loop for good.
/// </summary>
internal static class BoundedFile
{
    /// <summary>
    /// The file's bytes, or null when it holds more than <paramref name="maxBytes"/>. Throws IOException ("not a regular
    /// file") for a FIFO or a socket.
    /// </summary>
    public static async Task<byte[]?> ReadAsync(string path, long maxBytes, CancellationToken cancellationToken)
    {
        await using var stream = Open(path);
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

    /// <summary>
    /// Opens without blocking: .NET cannot tell a FIFO before opening it, and a plain open of one waits for a writer.
    /// O_NONBLOCK makes that open return at once (it changes nothing for a regular file); what cannot seek (a FIFO, a
    /// socket) is then refused. A device that can seek, such as /dev/zero, is left to the read bound.
    /// </summary>
    private static FileStream Open(string path)
    {
        if (OperatingSystem.IsWindows())
            return new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite, bufferSize: 1, FileOptions.Asynchronous | FileOptions.SequentialScan);
        if (path.Contains('\0', StringComparison.Ordinal))
            throw new ArgumentException($"'{DisplayText.OneLine(path)}': a path cannot hold a NUL character", nameof(path));
        var fd = LibC.Open(path, LibC.ReadOnly | LibC.NonBlock | LibC.CloseOnExec);
        if (fd < 0)
            throw ErrorFor(Marshal.GetLastPInvokeError(), path);
        var handle = new SafeFileHandle(fd, ownsHandle: true);
        FileStream? stream = null;
        try
        {
            stream = new FileStream(handle, FileAccess.Read, bufferSize: 1);
            if (!stream.CanSeek)
                throw new IOException($"{path}: not a regular file");
            return stream;
        }
        catch
        {
            if (stream is null)
                handle.Dispose();
            else
                stream.Dispose();
            throw;
        }
    }

    /// <summary>The exception FileStream would throw for the same errno, so callers keep catching what they caught.</summary>
    private static Exception ErrorFor(int errno, string path) => errno switch
    {
        2 => new FileNotFoundException($"Could not find file '{path}'.", path),
        // ENXIO: a socket (or a FIFO opened for writing) has no file to read.
        6 => new IOException($"{path}: not a regular file"),
        1 or 13 => new UnauthorizedAccessException($"Access to the path '{path}' is denied."),
        _ => new IOException($"{path}: cannot open (errno {errno})"),
    };
}
