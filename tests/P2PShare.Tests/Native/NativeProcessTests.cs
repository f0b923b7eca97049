using System.Collections.Concurrent;
using P2PShare.Engine.Native;
using P2PShare.Storage.Native;
using static P2PShare.Tests.Native.NativeTestSupport;
using P2PShare.Tests.Support;

namespace P2PShare.Tests.Native;

/// <summary>Runs the real 'p2pshare native' executable.</summary>
public class NativeProcessTests
{
    private const int PieceSize = 65536;
    private string _directory = null!;

    [SetUp]
    public void SetUp() => _directory = NewTempDirectory();

    [TearDown]
    public void TearDown() => DeleteDirectory(_directory);

    [Test]
    public async Task A_leecher_killed_midway_resumes_without_fetching_verified_pieces_again()
    {
        var source = Path.Combine(_directory, "source.bin");
        var data = WriteRandomFile(source, 80 * PieceSize + 99, seed: 11);
        var target = Path.Combine(_directory, "target.bin");
        var resume = new NativeResumeFile(target);

        HashSet<int> verifiedBeforeKill;
        await using (var slowSeeder = await StartAsync(Options(source) with { UploadDelayPerPiece = TimeSpan.FromMilliseconds(40) }))
        {
            using var leecher = NativeProcess.StartP2PShare(Path.Combine(_directory, "leecher1.log"),
                "native", "--port", "0", "--file", target, "--peer", $"127.0.0.1:{slowSeeder.ListenPort}");
            await WaitUntilAsync(() => TryLoad(resume)?.Pieces.CountSet >= 15, "the leecher to record 15 pieces");
            leecher.KillHard();
            verifiedBeforeKill = [.. resume.Load()!.Pieces.SetIndices()];
        }
        Assert.That(verifiedBeforeKill, Has.Count.LessThan(81), "killed before the end");
        Assert.That(File.Exists(target), Is.True);

        var requested = new ConcurrentBag<int>();
        await using var seeder = await StartAsync(Options(source) with { OnRequestReceived = (_, index) => requested.Add(index) });
        using var resumed = NativeProcess.StartP2PShare(Path.Combine(_directory, "leecher2.log"),
            "native", "--port", "0", "--file", target, "--peer", $"127.0.0.1:{seeder.ListenPort}");
        await WaitUntilAsync(() => resumed.Output.Contains("download complete"), "the resumed download to complete");
        Assert.That(File.ReadAllBytes(target), SameBytes.As(data));
        Assert.That(resume.Exists, Is.False, "the bitmap goes once the file is verified");
        Assert.That(requested.Intersect(verifiedBeforeKill), Is.Empty, "pieces verified before the kill are not fetched again");
        Assert.That(requested.Distinct().Count(), Is.EqualTo(81 - verifiedBeforeKill.Count));
    }

    [Test]
    public async Task Bad_arguments_give_one_line_and_exit_code_2()
    {
        using var process = NativeProcess.StartP2PShare(Path.Combine(_directory, "bad.log"),
            "native", "--port", "1", "--file", Path.Combine(_directory, "x.bin"), "--peer", "nonsense");
        await WaitUntilAsync(() => process.HasExited, "the process to exit");
        Assert.That(process.Output, Does.Contain("p2pshare: error: --peer must be HOST:PORT"));
        Assert.That(process.ExitCode, Is.EqualTo(2));
    }

    private static NativeResumeState? TryLoad(NativeResumeFile resume)
    {
        try
        {
            return resume.Load();
        }
        catch (Exception error) when (error is IOException or InvalidDataException)
        {
            return null;
        }
    }
}
