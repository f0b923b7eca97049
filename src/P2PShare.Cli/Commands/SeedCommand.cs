using System.CommandLine;

namespace P2PShare.Cli.Commands;

/// <summary>'p2pshare seed X.torrent --data DIR': check existing data, then seed it until stopped.</summary>
internal static class SeedCommand
{
    public static Command Create()
    {
        var torrent = new Argument<string>("torrent") { Description = "The .torrent file." };
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
            if (P2PShare.Metainfo.MagnetLink.LooksLikeMagnet(parse.GetValue(torrent)!))
                throw new UserErrorException("seed needs the .torrent file: a magnet link has no list of files to check (download it first: the metadata is saved in the state directory)");
            var options = shared.Read(parse, parse.GetValue(torrent)!, dataDirectory) with
            {
                SeedOnly = true,
                AllowPartial = parse.GetValue(partial),
                Recheck = parse.GetValue(recheck),
                GiveUpWithoutPeers = TimeSpan.MaxValue,
            };
            return TorrentRunCommand.RunAsync(services, [options], shared.ReadEngineSettings(parse, options), ct);
        }));
        return command;
    }
}
