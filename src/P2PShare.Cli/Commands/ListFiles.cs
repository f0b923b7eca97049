using System.Globalization;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using P2PShare.Cli.Output;
using P2PShare.Cli.Progress;
using P2PShare.Engine;
using P2PShare.Hosting;
using P2PShare.Metainfo;
using P2PShare.Storage;

namespace P2PShare.Cli.Commands;

/// <summary>
/// 'download --list-files': prints each torrent's files with the numbers --select takes. A magnet's metadata is fetched
/// from peers first and saved in the state directory, where a following 'download MAGNET --select ...' finds it.
/// </summary>
internal static class ListFiles
{
    public static async Task<int> RunAsync(IServiceProvider services, IReadOnlyList<TorrentRunOptions> torrents, EngineSettings settings, CancellationToken cancellationToken)
    {
        foreach (var options in torrents)
        {
            if (options.Magnet is not { } magnet)
            {
                Console.Out.Write(Format(await TorrentParser.LoadAsync(options.TorrentPath, cancellationToken).ConfigureAwait(false), null));
                continue;
            }
            var time = services.GetRequiredService<TimeProvider>();
            var loggers = services.GetRequiredService<ILoggerFactory>();
            await using var engine = ClientEngine.Start(settings, time, loggers);
            var host = new TorrentHost(engine, loggers, time);
            await using (host.ConfigureAwait(false))
            {
                var run = host.Add(options with { MetadataOnly = true }, new ConsoleProgress(Console.Error, !Console.IsErrorRedirected, time));
                await Task.WhenAny(run.Run!, Task.Delay(Timeout.Infinite, cancellationToken)).ConfigureAwait(false);
                cancellationToken.ThrowIfCancellationRequested();
                await run.Run!.ConfigureAwait(false);
                var state = options.StateDirectory ?? ResumeStore.ForDownloadDirectory(options.DataDirectory).StateDirectory;
                var torrent = run.Runner!.Torrent ?? throw new IOException($"no metadata for {magnet.InfoHash}");
                Console.Out.Write(Format(torrent, TorrentRunner.SavedMetadataPath(Path.GetFullPath(state), magnet.InfoHash)));
            }
        }
        await Console.Out.FlushAsync(cancellationToken).ConfigureAwait(false);
        return CliHost.ExitOk;
    }

    internal static string Format(Torrent torrent, string? savedAt)
    {
        var w = new StringWriter(CultureInfo.InvariantCulture) { NewLine = "\n" };
        var numbered = FileSelection.NumberedFiles(torrent);
        w.WriteLine($"{torrent.Name}: {numbered.Count} file(s), {ByteSize.Format(torrent.TotalLength)}");
        for (var n = 0; n < numbered.Count; n++)
        {
            var file = torrent.Files[numbered[n]];
            w.WriteLine($"{n + 1,4}  {file.Length,14}  {ByteSize.Format(file.Length),10}  {file.DisplayPath.ReplaceLineEndings(" ")}");
        }
        if (savedAt is not null)
            w.WriteLine($"Metadata saved to {savedAt}: 'p2pshare download MAGNET --select N,M-K' (same -o/--state-dir) starts without fetching it again.");
        return w.ToString();
    }
}
