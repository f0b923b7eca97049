using System.Diagnostics;

namespace P2PShare.Tests.Support;

/// <summary>Named pipes (FIFOs) for tests: made with mkfifo(1), and a writer that unblocks a reader stuck opening one.</summary>
public static class Fifo
{
    public static async Task CreateAsync(string path, CancellationToken cancellationToken)
    {
        using var mkfifo = Process.Start(new ProcessStartInfo("mkfifo", [path]) { UseShellExecute = false })
            ?? throw new InvalidOperationException("mkfifo did not start");
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(TimeSpan.FromSeconds(10));
        await mkfifo.WaitForExitAsync(timeout.Token);
        Assert.That(mkfifo.ExitCode, Is.Zero, $"mkfifo {path}");
    }

    /// <summary>
    /// Opens the FIFO for writing and closes it at once: a reader blocked in open(2) then sees end of file. Used only to
    /// release a thread a failing test left blocked; bounded, since without a reader this open blocks too.
    /// </summary>
    public static async Task ReleaseReaderAsync(string path)
    {
        var open = Task.Run(() => new FileStream(path, FileMode.Open, FileAccess.Write).Dispose());
        try
        {
            await open.WaitAsync(TimeSpan.FromSeconds(5));
        }
        catch (Exception error) when (error is TimeoutException or IOException)
        {
        }
    }
}
