using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace P2PShare.Cli.Daemon;

/// <summary>The daemon's one-second tick: the queue, ended runs, progress saved every few seconds, the watch directory.</summary>
internal sealed class DaemonLoop(TorrentService service, WatchDirectory watch, TimeProvider time, ILogger<DaemonLoop> logger) : BackgroundService
{
    private static readonly TimeSpan SaveEvery = TimeSpan.FromSeconds(10);
    private static readonly TimeSpan ScanEvery = TimeSpan.FromSeconds(2);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(TimeSpan.FromSeconds(1), time);
        var lastSave = time.GetUtcNow();
        var lastScan = DateTimeOffset.MinValue;
        try
        {
            while (await timer.WaitForNextTickAsync(stoppingToken).ConfigureAwait(false))
            {
                var now = time.GetUtcNow();
                try
                {
                    var save = now - lastSave >= SaveEvery;
                    await service.TickAsync(save, stoppingToken).ConfigureAwait(false);
                    if (save)
                        lastSave = now;
                    var settings = service.Settings.Current;
                    if (settings is { WatchDirEnabled: true, WatchDir: { } directory } && now - lastScan >= ScanEvery)
                    {
                        lastScan = now;
                        await watch.ScanAsync(directory, stoppingToken).ConfigureAwait(false);
                    }
                }
                catch (Exception error) when (error is IOException or UnauthorizedAccessException or InvalidOperationException)
                {
                    logger.LogWarning("Daemon tick: {Reason}", error.Message);
                }
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
    }
}
