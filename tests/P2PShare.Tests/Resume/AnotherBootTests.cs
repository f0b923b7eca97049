using P2PShare.Metainfo;
using P2PShare.Storage;

namespace P2PShare.Tests.Resume;

/// <summary>
/// The save on the way out does not wait for the disk: it records the pieces not fsynced and the boot they were saved
/// in. A start in the same boot trusts them (the page cache still holds them); a start after another boot (power loss,
/// kernel crash) hashes them again and fetches only what did not survive.
/// </summary>
[TestFixture]
[Category("Interop")]
public sealed class AnotherBootTests
{
    private const long Size = 16L * 1024 * 1024;
    private const int PieceLength = 256 * 1024;
    private const int PieceCount = (int)(Size / PieceLength);

    [Test]
    public async Task AfterAnotherBoot_PiecesSavedWithoutFsyncAreHashedAgain_AndOnlyTheLostOnesFetched()
    {
        await using var swarm = await ResumeSwarm.StartAsync(Size, PieceLength, uploadLimit: 0, seed: 76);
        var first = swarm.StartRun();
        await first.WaitForSuccessAsync(TimeSpan.FromSeconds(60));
        var afterFirst = await swarm.SettledUploadAsync();
        swarm.AssertDataMatches(first);

        var infoHash = InfoHash.Parse(swarm.Torrent.InfoHash);
        var saved = ResumeCodec.Decode(File.ReadAllBytes(swarm.ResumeFile), infoHash);
        Assert.That(saved.Status, Is.EqualTo(ResumeLoadStatus.Loaded), saved.Reason);
        var data = saved.Data!;
        Assert.That(data.VerifiedPieces.IsComplete, Is.True);
        Assert.That(data.BootId, Is.EqualTo(File.ReadAllText("/proc/sys/kernel/random/boot_id").Trim()), "the exit save did not record this boot");
        Assert.That(data.UnsyncedPieces?.CountSet, Is.EqualTo(PieceCount), "a download of a few seconds exits before any fsync: every piece is unsynced");

        // What power loss can leave: two pieces whose writes never reached the disk (old bytes, same size and time),
        // and a resume file written in a boot that is over.
        var mtime = File.GetLastWriteTimeUtc(swarm.DownloadedFile);
        using (var file = File.OpenHandle(swarm.DownloadedFile, FileMode.Open, FileAccess.ReadWrite))
        {
            RandomAccess.Write(file, new byte[4096], 3L * PieceLength + 100);
            RandomAccess.Write(file, new byte[4096], 40L * PieceLength);
        }
        File.SetLastWriteTimeUtc(swarm.DownloadedFile, mtime);
        File.WriteAllBytes(swarm.ResumeFile, ResumeCodec.Encode(data with { BootId = "00000000-0000-4000-8000-000000000000" }));

        var second = swarm.StartRun();
        await second.WaitForSuccessAsync(TimeSpan.FromSeconds(60));
        var afterSecond = await swarm.SettledUploadAsync();
        swarm.AssertDataMatches(second);

        var output = second.Process.StdoutTail;
        Assert.That(output, Does.Contain("the system has restarted since"), "the other boot went unnoticed. " + swarm.Describe(second));
        Assert.That(ResumeSwarm.PiecesHeldAtStart(second), Is.EqualTo(PieceCount - 2), "the check should keep every piece but the two lost. " + swarm.Describe(second));
        Assert.That(afterSecond - afterFirst, Is.EqualTo(2L * PieceLength), "exactly the two lost pieces should be fetched again. " + swarm.Describe(second));
    }

    [Test]
    public async Task InTheSameBoot_PiecesSavedWithoutFsyncAreTrustedWithoutHashing()
    {
        await using var swarm = await ResumeSwarm.StartAsync(Size, PieceLength, uploadLimit: 0, seed: 77);
        var first = swarm.StartRun();
        await first.WaitForSuccessAsync(TimeSpan.FromSeconds(60));
        var afterFirst = await swarm.SettledUploadAsync();

        var second = swarm.StartRun();
        await second.WaitForSuccessAsync(TimeSpan.FromSeconds(60));
        swarm.AssertDataMatches(second);
        var output = second.Process.StdoutTail;
        Assert.That(output, Does.Contain("Resuming:").And.Contain("resume data intact"), swarm.Describe(second));
        Assert.That(output, Does.Not.Contain("Checking existing data"), swarm.Describe(second));
        Assert.That(await swarm.SettledUploadAsync() - afterFirst, Is.Zero, swarm.Describe(second));
    }
}
