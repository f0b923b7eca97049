using System.CommandLine;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using P2PShare.Cli.Progress;
using P2PShare.Cli.Streaming;
using P2PShare.Engine;
using P2PShare.Engine.Picking;
using P2PShare.Hosting;
using P2PShare.Metainfo;

namespace P2PShare.Cli.Commands;

/// <summary>
/// 'p2pshare stream TORRENT|MAGNET [--file N] [--port P]': downloads one file (by default only it, at high priority) and
/// serves it over HTTP on 127.0.0.1 with Range support while it downloads; prints the URL to open in a media player.
/// </summary>
internal static class StreamCommand
{
    public static Command Create()
    {
        var torrent = new Argument<string>("torrent") { Description = "A .torrent file or a magnet link." };
        var file = new Option<int?>("--file") { Description = "The file to stream, by the number 'info' prints (from 1); default: the largest." };
        var httpPort = new Option<int>("--port") { Description = "HTTP port on 127.0.0.1 (0: any free port).", DefaultValueFactory = _ => 0 };
        var output = new Option<string>("--output", "-o") { Description = "Directory the content goes into (default: the current directory).", DefaultValueFactory = _ => "." };
        var shared = new TorrentRunCommand("--peer-port");
        var selection = new SelectionOptions();
        var command = new Command("stream", "Download a file and serve it over HTTP (Range requests) while it downloads, to watch it in a media player.") { torrent, file, httpPort, output };
        shared.AddTo(command);
        selection.AddTo(command);
        command.SetAction((parse, cancellationToken) => CliHost.RunAsync(parse, cancellationToken, async (services, ct) =>
        {
            var port = parse.GetValue(httpPort);
            if (port is < 0 or > 65535)
                throw new UserErrorException($"--port {port}: must be from 0 to 65535");
            var number = parse.GetValue(file);
            var files = selection.Read(parse);
            var read = shared.Read(parse, parse.GetValue(torrent)!, parse.GetValue(output)!);
            var options = read with
            {
                SelectFiles = t => Priorities(t, ChooseFile(t, number), files),
                Sequential = parse.GetValue(selection.Sequential),
                // A seek's pieces wait behind what each peer already has queued (peers serve requests in order): a
                // short queue (half a second of data, not the download's two) keeps that wait short, as players need.
                Engine = read.Engine with { RequestQueueSeconds = StreamRequestQueueSeconds },
            };
            return await RunAsync(services, options, shared.ReadEngineSettings(parse, options), number, port, ct).ConfigureAwait(false);
        }));
        return command;
    }

    private const double StreamRequestQueueSeconds = 0.5;

    private static async Task<int> RunAsync(IServiceProvider services, TorrentRunOptions options, EngineSettings settings, int? number, int httpPort, CancellationToken cancellationToken)
    {
        var time = services.GetRequiredService<TimeProvider>();
        var loggers = services.GetRequiredService<ILoggerFactory>();
        await using var engine = ClientEngine.Start(settings, time, loggers);
        var host = new TorrentHost(engine, loggers, time);
        await using (host.ConfigureAwait(false))
        {
            var added = host.Add(options, new ConsoleProgress(Console.Out, !Console.IsOutputRedirected, time));
            var runner = added.Runner!;
            // The file list is known once the metadata is (at once for a .torrent).
            while (runner.Torrent is null && !added.Run!.IsCompleted)
                await Task.Delay(TimeSpan.FromMilliseconds(50), cancellationToken).ConfigureAwait(false);
            if (runner.Torrent is not { } metainfo)
            {
                await added.Run!.ConfigureAwait(false);
                return CliHost.ExitOk;
            }
            var index = ChooseFile(metainfo, number);
            var name = Path.GetFileName(metainfo.Files[index].DisplayPath);
            await using var server = StreamServer.Start(httpPort, runner, index, name, loggers.CreateLogger<StreamServer>());
            Console.Out.WriteLine($"Streaming {metainfo.Files[index].DisplayPath} at {server.Url}");
            await Console.Out.FlushAsync(cancellationToken).ConfigureAwait(false);
            // Until Ctrl+C (or the run ends: --seed-time, an error): the file stays served while seeding.
            await Task.WhenAny(added.Run!, Task.Delay(Timeout.Infinite, cancellationToken)).ConfigureAwait(false);
            if (added.Run!.IsCompleted)
                await added.Run.ConfigureAwait(false);
            return CliHost.ExitOk;
        }
    }

    /// <summary>The torrent file index of file number <paramref name="number"/> (from 1), or of the largest file.</summary>
    internal static int ChooseFile(Torrent torrent, int? number)
    {
        var numbered = FileSelection.NumberedFiles(torrent);
        if (number is { } n)
            return n >= 1 && n <= numbered.Count ? numbered[n - 1] : throw new UserErrorException($"--file {n}: files are numbered 1 to {numbered.Count} (see 'p2pshare info')");
        return numbered.OrderByDescending(i => torrent.Files[i].Length).ThenBy(i => i).First();
    }

    /// <summary>The streamed file high; the other files as the selection options say, or skipped when none are given.</summary>
    internal static IReadOnlyList<FilePriority> Priorities(Torrent torrent, int streamed, FileSelection selection)
    {
        var priorities = selection.IsEmpty ? FilePriorities.All(torrent.Files.Count, FilePriority.Skip) : [.. selection.Resolve(torrent)];
        priorities[streamed] = FilePriority.High;
        return priorities;
    }
}
