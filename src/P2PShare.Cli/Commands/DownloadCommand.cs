using System.CommandLine;

namespace P2PShare.Cli.Commands;

/// <summary>'p2pshare download X.torrent|MAGNET' (or just 'p2pshare X.torrent'): download, verify, then seed.</summary>
internal static class DownloadCommand
{
    public static Command Create()
    {
        var torrent = new Argument<string[]>("torrent") { Description = "One or more .torrent files or magnet links (a magnet's metadata is fetched from peers first); all run in one process on one port.", Arity = ArgumentArity.OneOrMore };
        var output = new Option<string>("--output", "-o") { Description = "Directory the content goes into (default: the current directory).", DefaultValueFactory = _ => "." };
        var noSeed = new Option<bool>("--no-seed") { Description = "Exit as soon as the data is complete and verified." };
        var recheck = new Option<bool>("--recheck") { Description = "Check all existing data, ignoring resume data." };
        var showPeers = new Option<bool>("--peers") { Description = "List the connected peers (client, rates, score, flags) every 5 s." };
        var why = new Option<bool>("--why") { Description = "Say why a torrent is slow or stuck: print its diagnosis whenever it changes (on a terminal, the 'w' key prints it too)." };
        var listFiles = new Option<bool>("--list-files") { Description = "Print the files with their numbers (for --select) and exit; a magnet's metadata is fetched and saved first." };
        var shared = new TorrentRunCommand();
        var selection = new SelectionOptions();
        var command = new Command("download", "Download torrents into DIR/<name>, verifying every piece, then keep seeding.") { torrent, output, noSeed, recheck, showPeers, why, listFiles };
        shared.AddTo(command);
        selection.AddTo(command);
        var scripting = new ScriptingOptions();
        scripting.AddTo(command);
        command.SetAction((parse, cancellationToken) => CliHost.RunAsync(parse, cancellationToken, (services, ct) =>
        {
            var files = selection.Read(parse);
            var all = parse.GetValue(torrent)!.Select(path => shared.Read(parse, path, parse.GetValue(output)!) with
            {
                SeedAfterDownload = !parse.GetValue(noSeed),
                Recheck = parse.GetValue(recheck),
                ShowPeers = parse.GetValue(showPeers),
                // Given explicitly, --give-up-after also bounds the time without progress; the default only the time without peers.
                GiveUpWithoutProgress = parse.GetResult(shared.GiveUpAfter) is { Implicit: false } ? DurationText.Parse(parse.GetValue(shared.GiveUpAfter), "--give-up-after") : null,
                SelectFiles = files.IsEmpty ? null : files.Resolve,
                Sequential = parse.GetValue(selection.Sequential),
            }).ToList();
            if (parse.GetValue(listFiles))
                return ListFiles.RunAsync(services, all, shared.ReadEngineSettings(parse, all[0]), ct);
            return TorrentRunCommand.RunAsync(services, all, shared.ReadEngineSettings(parse, all[0]), ct, scripting.Read(parse), why: parse.GetValue(why));
        }));
        return command;
    }
}
