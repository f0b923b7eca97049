using System.Globalization;
using System.Text.RegularExpressions;
using P2PShare.Tests.Support;

namespace P2PShare.Tests.Resume;

/// <summary>
/// One file seeded by a python3-libtorrent seeder (with an upload limit) that uploads only to us, so its
/// total_payload_upload counter is exactly what our client received over all its runs. Runs of the
/// built p2pshare download into one directory with one --state-dir, so each run resumes the last one.
/// </summary>
internal sealed partial class ResumeSwarm : IAsyncDisposable
{
    private readonly List<P2PShareClient> _runs = [];

    private ResumeSwarm(TempDirectory directory, string sourceFile, CreatedTorrent torrent, LibtorrentPeer seeder)
    {
        Directory = directory;
        SourceFile = sourceFile;
        Torrent = torrent;
        Seeder = seeder;
        OutputDirectory = directory.CreateSubdirectory("download");
        StateDirectory = directory.Combine("state");
        SourceHash = TestData.Sha256File(sourceFile);
    }

    public TempDirectory Directory { get; }

    public string SourceFile { get; }

    public string SourceHash { get; }

    public CreatedTorrent Torrent { get; }

    public LibtorrentPeer Seeder { get; }

    public string OutputDirectory { get; }

    public string StateDirectory { get; }

    public string DownloadedFile => Path.Combine(OutputDirectory, Torrent.Name);

    /// <summary>The resume file the client keeps for this torrent (ResumeStore: &lt;info-hash&gt;.resume).</summary>
    public string ResumeFile => Path.Combine(StateDirectory, Torrent.InfoHash + ".resume");

    public long Size => Torrent.TotalSize;

    public static async Task<ResumeSwarm> StartAsync(long size, int pieceLength, int uploadLimit, int seed)
    {
        var directory = new TempDirectory("p2pshare-resume-");
        LibtorrentPeer? seeder = null;
        try
        {
            var sourceDirectory = directory.CreateSubdirectory("seed");
            var sourceFile = TestData.CreateFile(Path.Combine(sourceDirectory, "payload.bin"), size, seed);
            var torrent = await LibtorrentTorrent.CreateAsync(sourceFile, directory.Combine("payload.torrent"), pieceLength);
            seeder = await LibtorrentPeer.StartSeedAsync(torrent.TorrentPath, sourceDirectory,
                o => o with { NoTrackers = true, UploadLimit = uploadLimit, StatusInterval = TimeSpan.FromMilliseconds(100) });
            return new ResumeSwarm(directory, sourceFile, torrent, seeder);
        }
        catch
        {
            if (seeder is not null)
            {
                await seeder.DisposeAsync();
            }
            directory.Dispose();
            throw;
        }
    }

    /// <summary>Starts one download run (--no-seed: it exits once the data is complete and verified).</summary>
    public P2PShareClient StartRun()
    {
        var client = P2PShareClient.StartDownload(Directory.Path, Torrent.TorrentPath, OutputDirectory,
            "--no-seed", "--state-dir", StateDirectory, "--give-up-after", "60", "--peer", $"127.0.0.1:{Seeder.Port}");
        _runs.Add(client);
        return client;
    }

    /// <summary>The seeder's upload counter right now (its latest status line).</summary>
    public long Uploaded => Seeder.LatestStatus?.TotalPayloadUpload ?? 0;

    /// <summary>
    /// The seeder's upload counter once no client is connected to it any more (the run ended), so that the
    /// value no longer moves.
    /// </summary>
    public async Task<long> SettledUploadAsync()
    {
        // Only a line written after this call counts (our run has exited by now): a short run can connect, fetch and
        // leave between two status lines, and the line before it also shows no peer, with the old counter.
        var linesBefore = Seeder.Process.JsonLineCount;
        var status = await Eventually.ValueAsync(
            () => Task.FromResult(Seeder.Process.JsonLineCount > linesBefore ? Seeder.LatestStatus : null), s => s is { NumPeers: 0 },
            TimeSpan.FromSeconds(20), "the seeder to see our client gone", () => Seeder.Process.Describe());
        return status!.TotalPayloadUpload;
    }

    /// <summary>Waits until the seeder has uploaded at least <paramref name="bytes"/>, or the run exits (returns false then).</summary>
    public async Task<bool> WaitUntilUploadedAsync(P2PShareClient run, long bytes, TimeSpan timeout)
    {
        var reached = false;
        await Eventually.UntilAsync(() =>
        {
            reached = Uploaded >= bytes;
            return reached || run.HasExited;
        }, timeout, $"the seeder to upload {bytes} bytes", () => Describe(run));
        return reached;
    }

    public void AssertDataMatches(P2PShareClient? lastRun = null)
    {
        Assert.That(File.Exists(DownloadedFile), Is.True, $"{DownloadedFile} is missing. " + Describe(lastRun));
        Assert.That(TestData.Sha256File(DownloadedFile), Is.EqualTo(SourceHash), "downloaded data differs from the original. " + Describe(lastRun));
    }

    /// <summary>"Resuming: N/M pieces verified earlier" or "Check done: N/M pieces verified" from the run's output: N.</summary>
    public static int? PiecesHeldAtStart(P2PShareClient run)
    {
        var match = HeldPattern().Match(run.Process.StdoutTail);
        return match.Success ? int.Parse(match.Groups[1].Value, CultureInfo.InvariantCulture) : null;
    }

    public string Describe(P2PShareClient? run = null) =>
        $"seeder: {Seeder.LatestStatus}{Environment.NewLine}{(run ?? _runs.LastOrDefault())?.Describe()}";

    public async ValueTask DisposeAsync()
    {
        foreach (var run in _runs)
        {
            await run.DisposeAsync();
        }
        await Seeder.DisposeAsync();
        Directory.Dispose();
    }

    [GeneratedRegex(@"(?:Resuming: |Check done: )(\d+)/\d+ pieces")]
    private static partial Regex HeldPattern();
}
