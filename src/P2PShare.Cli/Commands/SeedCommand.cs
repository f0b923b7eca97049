using System.CommandLine;

namespace P2PShare.Cli.Commands;

/// <summary>'p2pshare seed X.torrent --data DIR': check existing data, then seed it until stopped.</summary>
internal static class SeedCommand
{
    public static Command Create()
    {
        var torrent = new Argument<string[]>("torrent") { Description = "One or more .torrent files; all are seeded by one process on one port.", Arity = ArgumentArity.OneOrMore };
        var data = new Option<string>("--data", "-d") { Description = "Directory that holds the content (as 'download -o DIR' writes it).", Required = true };
        var partial = new Option<bool>("--partial") { Description = "Seed the pieces that are there even if some are missing." };
        var recheck = new Option<bool>("--recheck") { Description = "Check all data, ignoring resume data." };
        var shared = new TorrentRunCommand();
        var command = new Command("seed", "Seed existing data to other peers until Ctrl+C (or --seed-ratio/--seed-time).") { torrent, data, partial, recheck };
        shared.AddTo(command);
        command.SetAction((parse, cancellationToken) => CliHost.RunAsync(parse, cancellationToken, (services, ct) =>
        {
            var dataDirectory = parse.GetValue(data)!;
            if (!Directory.Exists(dataDirectory))
                throw new UserErrorException($"data directory not found: {dataDirectory}");
            var paths = parse.GetValue(torrent)!;
            if (paths.Any(P2PShare.Metainfo.MagnetLink.LooksLikeMagnet))
                throw new UserErrorException("seed needs the .torrent file: a magnet link has no list of files to check (download it first: the metadata is saved in the state directory)");
            var all = paths.Select(path => shared.Read(parse, path, dataDirectory) with
            {
                SeedOnly = true,
                AllowPartial = parse.GetValue(partial),
                Recheck = parse.GetValue(recheck),
                GiveUpWithoutPeers = TimeSpan.MaxValue,
            }).ToList();
            return TorrentRunCommand.RunAsync(services, all, shared.ReadEngineSettings(parse, all[0]), ct, new RunOutput { SeedOnly = true });
        }));
        return command;
    }
}
