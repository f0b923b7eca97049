namespace P2PShare.Storage;

/// <summary>
/// The one way state files are replaced (resume data, the native resume file, a magnet's saved metadata): write a
/// temporary file beside the target, make it durable, rename it over the target, make the rename durable. A crash
/// at any point leaves either the old file or the new one, never a torn one.
/// </summary>
internal static class AtomicFile
{
    public const string TempSuffix = ".tmp";

    public static async Task WriteAsync(string path, ReadOnlyMemory<byte> bytes, CancellationToken cancellationToken)
    {
        var temp = TempPathFor(path);
        try
        {
            await using (var stream = new FileStream(temp, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1, FileOptions.None))
            {
                await stream.WriteAsync(bytes, cancellationToken).ConfigureAwait(false);
                stream.Flush(flushToDisk: true);
            }
            Commit(temp, path);
        }
        finally
        {
            TryDelete(temp);
        }
    }

    public static void Write(string path, ReadOnlySpan<byte> bytes)
    {
        var temp = TempPathFor(path);
        try
        {
            using (var stream = new FileStream(temp, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1, FileOptions.None))
            {
                stream.Write(bytes);
                stream.Flush(flushToDisk: true);
            }
            Commit(temp, path);
        }
        finally
        {
            TryDelete(temp);
        }
    }

    /// <summary>A unique temporary name beside <paramref name="path"/> (two writers never share one).</summary>
    public static string TempPathFor(string path) => $"{path}.{Guid.NewGuid():N}{TempSuffix}";

    private static void Commit(string temp, string path)
    {
        File.Move(temp, path, overwrite: true);
        DirectorySync.Flush(Path.GetDirectoryName(Path.GetFullPath(path))!);
    }

    private static void TryDelete(string path)
    {
        try
        {
            if (File.Exists(path))
                File.Delete(path);
        }
        catch (Exception error) when (error is IOException or UnauthorizedAccessException)
        {
            // A leftover temporary file is harmless; the next save removes stale ones.
        }
    }
}
