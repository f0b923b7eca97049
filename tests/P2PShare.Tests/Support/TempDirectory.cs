namespace P2PShare.Tests.Support;

/// <summary>A fresh directory under the system temp dir, deleted with its whole tree on dispose.</summary>
public sealed class TempDirectory : IDisposable, IAsyncDisposable
{
    private int _disposed;

    public TempDirectory(string prefix = "p2pshare-test-")
    {
        var info = Directory.CreateTempSubdirectory(prefix);
        // World-readable: some programs (opentracker) drop to user nobody.
        if (!OperatingSystem.IsWindows())
        {
            File.SetUnixFileMode(info.FullName,
                UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute |
                UnixFileMode.GroupRead | UnixFileMode.GroupExecute |
                UnixFileMode.OtherRead | UnixFileMode.OtherExecute);
        }
        Path = info.FullName;
    }

    public string Path { get; }

    /// <summary>Path.Combine(Path, parts...).</summary>
    public string Combine(params string[] parts) => System.IO.Path.Combine([Path, .. parts]);

    /// <summary>Creates (if needed) and returns a subdirectory.</summary>
    public string CreateSubdirectory(params string[] parts) => Directory.CreateDirectory(Combine(parts)).FullName;

    public override string ToString() => Path;

    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }
        for (var attempt = 0; attempt < 3; attempt++)
        {
            try
            {
                if (Directory.Exists(Path))
                {
                    Directory.Delete(Path, recursive: true);
                }
                return;
            }
            catch (IOException) when (attempt < 2)
            {
                // A just-killed program may still be closing files; try again.
                Thread.Sleep(100);
            }
            catch (UnauthorizedAccessException) when (attempt < 2)
            {
                Thread.Sleep(100);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                TestContext.Progress.WriteLine($"TempDirectory: could not delete {Path}: {e.Message}");
                return;
            }
        }
    }

    public ValueTask DisposeAsync()
    {
        Dispose();
        return ValueTask.CompletedTask;
    }
}
