using System.CommandLine;

namespace P2PShare.Cli.Commands;

/// <summary>'p2pshare download X.torrent|MAGNET' (or just 'p2pshare X.torrent'): download, verify, then seed.</summary>
internal static class DownloadCommand
{
    public static Command Create()
    {
        var torrent = new Argument<string>("torrent") { Description = "The .torrent file or a magnet link (its metadata is fetched from peers first)." };
        var output = new Option<string>("--output", "-o") { Description = "Directory the content goes into (default: the current directory).", DefaultValueFactory = _ => "." };
        var noSeed = new Option<bool>("--no-seed") { Description = "Exit as soon as the data is complete and verified." };
        var recheck = new Option<bool>("--recheck") { Description = "Check all existing data, ignoring resume data." };
        var showPeers = new Option<bool>("--peers") { Description = "List the connected peers (client, rates, score, flags) every 5 s." };
        var shared = new TorrentRunCommand();
        var command = new Command("download", "Download a torrent into DIR/<name>, verifying every piece, then keep seeding.") { torrent, output, noSeed, recheck, showPeers };
        shared.AddTo(command);
        command.SetAction((parse, cancellationToken) => CliHost.RunAsync(parse, cancellationToken, (services, ct) =>
        {
            var options = shared.Read(parse, parse.GetValue(torrent)!, parse.GetValue(output)!) with
            {
                SeedAfterDownload = !parse.GetValue(noSeed),
                Recheck = parse.GetValue(recheck),
                ShowPeers = parse.GetValue(showPeers),
            };
            return TorrentRunCommand.RunAsync(services, options, ct);
        }));
        return command;
    }
}
