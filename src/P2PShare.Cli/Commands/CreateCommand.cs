using System.CommandLine;
using System.Globalization;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using P2PShare.Cli.Output;
using P2PShare.Metainfo;

namespace P2PShare.Cli.Commands;

/// <summary>'p2pshare create PATH -o OUT.torrent': makes a torrent of a file or directory.</summary>
internal static class CreateCommand
{
    public static Command Create()
    {
        var source = new Argument<string>("path") { Description = "The file or directory to share." };
        var output = new Option<string>("--output", "-o") { Description = "Where to write the .torrent.", Required = true };
        var trackers = new Option<string[]>("--tracker", "-t")
        {
            Description = "Tracker announce URL; repeat for more (each becomes its own tier).",
            AllowMultipleArgumentsPerToken = false,
        };
        var pieceSize = new Option<int?>("--piece-size", "-p")
        {
            Description = "Piece size, a power of two from 16K to 64M: a unit (256K, 1M) or a plain number of KiB (default: chosen for 1,000–2,000 pieces).",
            HelpName = "SIZE",
            // A plain number stays KiB (as before units were accepted): a piece of fewer than 16384 bytes is not allowed anyway.
            CustomParser = result =>
            {
                var text = result.Tokens.Count > 0 ? result.Tokens[0].Value : "";
                if (int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var plainKiB))
                    return plainKiB;
                if (SizeParser.TryParse(text, out var bytes, out var problem) && bytes % 1024 == 0 && bytes / 1024 <= int.MaxValue)
                    return (int)(bytes / 1024);
                result.AddError($"--piece-size '{text}': {problem ?? "must be a whole number of KiB"}");
                return null;
            },
        };
        var isPrivate = new Option<bool>("--private") { Description = "Mark the torrent private (BEP 27): peers from trackers only." };
        var comment = new Option<string?>("--comment", "-c") { Description = "A comment stored in the torrent." };
        var webSeeds = new Option<string[]>("--web-seed", "-w")
        {
            Description = "Web seed URL (BEP 19); repeat for more.",
            AllowMultipleArgumentsPerToken = false,
        };
        var noDate = new Option<bool>("--no-date") { Description = "Leave out the creation date (reproducible output)." };
        var force = new Option<bool>("--force", "-f") { Description = "Overwrite the output file if it exists." };
        var v2 = new Option<bool>("--v2") { Description = "Make a BitTorrent v2-only torrent (BEP 52: SHA-256 merkle trees per file)." };
        var hybrid = new Option<bool>("--hybrid") { Description = "Make a hybrid torrent: v1 and v2 in one (as libtorrent 2 does by default)." };

        var command = new Command("create", "Create a .torrent from a file or directory.")
        {
            source, output, trackers, pieceSize, isPrivate, comment, webSeeds, noDate, force, v2, hybrid,
        };
        // Hashing starts before the host is built, so the other cores hash while this one finishes start-up.
        command.SetAction((parse, cancellationToken) => CliHost.RunAsync(parse, cancellationToken, ct =>
        {
            var outputPath = parse.GetValue(output)!;
            var pieceKiB = parse.GetValue(pieceSize);
            if (pieceKiB is { } kib && (kib <= 0 || kib > PieceSizeChooser.MaxPieceLength / 1024))
                throw new UserErrorException($"--piece-size {kib}: must be a power of two from 16 to {PieceSizeChooser.MaxPieceLength / 1024} (KiB)");
            var pieceLength = pieceKiB * 1024;
            if (pieceLength is { } bytes && PieceSizeChooser.Validate(bytes) is { } problem)
                throw new UserErrorException($"--piece-size {pieceKiB}: {problem}");
            if (parse.GetValue(v2) && parse.GetValue(hybrid))
                throw new UserErrorException("--v2 and --hybrid exclude each other (a hybrid already carries v2)");
            var version = parse.GetValue(v2) ? TorrentVersion.V2 : parse.GetValue(hybrid) ? TorrentVersion.Hybrid : TorrentVersion.V1;
            var trackerList = parse.GetValue(trackers) ?? [];
            var webSeedList = parse.GetValue(webSeeds) ?? [];
            foreach (var url in trackerList.Concat(webSeedList))
                CheckUrl(url);
            var overwrite = parse.GetValue(force);
            if (!overwrite && File.Exists(outputPath))
                throw new UserErrorException($"'{outputPath}' already exists (use --force to overwrite it)");
            var outputDirectory = Path.GetDirectoryName(Path.GetFullPath(outputPath))!;
            if (!Directory.Exists(outputDirectory))
                throw new UserErrorException($"output directory '{outputDirectory}' does not exist");

            var options = new TorrentCreationOptions
            {
                Trackers = trackerList,
                WebSeeds = webSeedList,
                PieceLength = pieceLength,
                IsPrivate = parse.GetValue(isPrivate),
                Comment = parse.GetValue(comment),
                CreationDate = parse.GetValue(noDate) ? null : TimeProvider.System.GetUtcNow(),
                ExcludePath = Path.GetFullPath(outputPath),
                Version = version,
            };
            var sourcePath = parse.GetValue(source)!;
            TorrentPlan plan;
            try
            {
                plan = TorrentCreator.Plan(sourcePath, options, ct);
            }
            catch (IOException error) when (error is not FileNotFoundException and not DirectoryNotFoundException)
            {
                throw new UserErrorException(error.Message);
            }
            foreach (var warning in plan.Warnings)
                Console.Error.WriteLine($"p2pshare: warning: {warning}");
            var interactive = HashProgress.StderrIsTerminal;
            if (!interactive)
                Console.Error.WriteLine($"hashing {plan.Files.Count} file(s), {plan.TotalLength} bytes, {plan.PieceCount} pieces of {plan.PieceLength / 1024} KiB");
            var progress = new HashProgress(plan.TotalLength, interactive);
            return new CreateJob(sourcePath, outputPath, overwrite, plan, progress,
                TorrentCreator.CreateAsync(plan, options, progress, ct));
        },
        async (services, job, ct) =>
        {
            var logger = services.GetRequiredService<ILoggerFactory>().CreateLogger("P2PShare.Cli.Create");
            var plan = job.Plan;
            logger.LogInformation("Creating torrent of {Source}: {Files} files, {Bytes} bytes, {Pieces} pieces of {PieceLength}",
                job.SourcePath, plan.Files.Count, plan.TotalLength, plan.PieceCount, plan.PieceLength);
            byte[] torrentBytes;
            TimeSpan elapsed;
            using (job.Progress)
            {
                torrentBytes = await job.Torrent.ConfigureAwait(false);
                elapsed = job.Progress.Elapsed;
            }
            await TorrentCreator.WriteFileAsync(torrentBytes, job.OutputPath, job.Overwrite, ct).ConfigureAwait(false);

            var torrent = TorrentParser.Parse(torrentBytes);
            var rate = ByteSize.Format((long)(plan.TotalLength / Math.Max(elapsed.TotalSeconds, 0.001)));
            Console.Out.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"created {job.OutputPath}: {torrent.Name}, {ByteSize.Format(torrent.TotalLength)} in {plan.Files.Count} file(s), {torrent.PieceCount} pieces of {ByteSize.Format(torrent.PieceLength)}, info-hash {torrent.InfoHash.Hex}{(torrent.V2 is { } part ? $", v2 info-hash {part.InfoHash.Hex}" : "")} (hashed in {elapsed.TotalSeconds:0.00} s, {rate}/s)"));
            logger.LogInformation("Created {Output} with info-hash {InfoHash}", job.OutputPath, torrent.InfoHash.Hex);
            return CliHost.ExitOk;
        }));
        return command;
    }

    /// <summary>A creation under way: what was planned and the hashing task that will produce the torrent.</summary>
    private sealed record CreateJob(
        string SourcePath, string OutputPath, bool Overwrite, TorrentPlan Plan, HashProgress Progress, Task<byte[]> Torrent);

    private static void CheckUrl(string url)
    {
        if (!Uri.TryCreate(url, UriKind.Absolute, out var uri) || uri.Scheme is not ("http" or "https" or "udp" or "wss" or "ws"))
            throw new UserErrorException($"'{url}' is not an http(s)://, udp:// or ws(s):// URL");
    }
}
