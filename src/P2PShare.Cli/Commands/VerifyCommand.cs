using System.CommandLine;
using System.Diagnostics;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using P2PShare.Metainfo;
using P2PShare.Storage;

namespace P2PShare.Cli.Commands;

/// <summary>'p2pshare verify FILE.torrent --data DIR': hashes the data on disk against the torrent (a full recheck).</summary>
internal static class VerifyCommand
{
    public static Command Create()
    {
        var torrentArgument = new Argument<string>("torrent") { Description = "The .torrent file." };
        var dataOption = new Option<string?>("--data", "-d")
        {
            Description = "The download directory holding the torrent's content (default: the current directory).",
        };
        var threadsOption = new Option<int?>("--threads")
        {
            Description = "Hashing threads (default: one per core).",
        };
        var command = new Command("verify", "Check downloaded data against the torrent's piece hashes. Exits 0 only when complete.")
        {
            torrentArgument,
            dataOption,
            threadsOption,
        };
        command.SetAction((parse, cancellationToken) => CliHost.RunAsync(parse, cancellationToken, async (services, ct) =>
        {
            var threads = parse.GetValue(threadsOption);
            if (threads is <= 0)
                throw new UserErrorException("--threads must be at least 1");
            var torrent = await TorrentParser.LoadAsync(parse.GetValue(torrentArgument)!, ct).ConfigureAwait(false);
            foreach (var warning in torrent.Warnings)
                Console.Error.WriteLine($"p2pshare: warning: {warning}");
            var directory = parse.GetValue(dataOption) ?? Directory.GetCurrentDirectory();
            if (!Directory.Exists(directory))
                throw new DirectoryNotFoundException($"data directory not found: {directory}");
            var logger = services.GetRequiredService<ILogger<Marker>>();

            var clock = Stopwatch.StartNew();
            var verified = await PieceChecker.CheckAsync(torrent, directory, null, ct, degreeOfParallelism: threads).ConfigureAwait(false);
            clock.Stop();

            var seconds = Math.Max(clock.Elapsed.TotalSeconds, 1e-9);
            var missing = torrent.PieceCount - verified.CountSet;
            logger.LogInformation("Verified {Torrent} in {Directory}: {Ok}/{Count} pieces OK in {Seconds:F3} s",
                torrent.Name, directory, verified.CountSet, torrent.PieceCount, seconds);
            Console.Out.WriteLine($"{torrent.Name}: {torrent.TotalLength} bytes in {torrent.PieceCount} pieces, checked in {seconds:F3} s ({torrent.TotalLength / seconds / 1e6:F0} MB/s)");
            Console.Out.WriteLine($"pieces OK: {verified.CountSet}/{torrent.PieceCount}, missing or bad: {missing}");
            Console.Out.WriteLine(verified.IsComplete ? "complete" : "incomplete");
            return verified.IsComplete ? CliHost.ExitOk : CliHost.ExitFailure;
        }));
        return command;
    }

    /// <summary>Log category for this command.</summary>
    private sealed class Marker;
}
