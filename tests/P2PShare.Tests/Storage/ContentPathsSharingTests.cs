using P2PShare.Storage;

namespace P2PShare.Tests.Storage;

/// <summary>
/// Issue #20 start-up: one ContentPaths per torrent and directory, paths made on first use, and no stat per file when
/// the torrent's root is absent, with the same decision as looking at every file.
/// </summary>
[TestFixture]
public sealed class ContentPathsSharingTests
{
    [Test]
    public async Task OneInstancePerTorrentAndDirectory()
    {
        await using var temp = new P2PShare.Tests.Support.TempDirectory();
        var (torrent, _) = TestTorrents.Build("multi", 16, new TestFile("d/a", new byte[10]), new TestFile("d/b", new byte[30]));
        var first = ContentPaths.For(torrent, temp.Path);

        Assert.That(ContentPaths.For(torrent, temp.Path), Is.SameAs(first));
        Assert.That(first[1], Is.EqualTo(Path.Combine(temp.Path, "multi", "d", "b")));
        Assert.That(first[1], Is.SameAs(first[1]));
        var elsewhere = ContentPaths.For(torrent, temp.Combine("other"));
        Assert.That(elsewhere, Is.Not.SameAs(first));
        Assert.That(elsewhere[0], Is.EqualTo(Path.Combine(temp.Path, "other", "multi", "d", "a")));
    }

    [Test]
    public async Task AnAbsentRootGivesTheDecisionOfMissingFiles()
    {
        await using var temp = new P2PShare.Tests.Support.TempDirectory();
        var (torrent, _) = TestTorrents.Build("multi", 16, new TestFile("a", new byte[10]), new TestFile("d/b", new byte[30]));
        var absent = ResumeValidator.Decide(torrent, temp.Path, ResumeLoadResult.Missing);

        Directory.CreateDirectory(temp.Combine("multi", "d"));
        var looked = ResumeValidator.Decide(torrent, temp.Path, ResumeLoadResult.Missing);

        Assert.That(absent.Trusted.CountSet, Is.Zero);
        Assert.That(absent.ToCheck.SetIndices(), Is.EqualTo(looked.ToCheck.SetIndices()));
        Assert.That(absent.ToCheck.IsEmpty, Is.True);
        var states = ResumeValidator.CurrentStates(torrent, ContentPaths.For(torrent, temp.Path));
        Assert.That(states.Select(s => s!.Existed), Is.All.False);

        // A root that is a dangling link is not "absent": its files are looked at (and are missing).
        Directory.Delete(temp.Combine("multi"), recursive: true);
        File.CreateSymbolicLink(temp.Combine("multi"), temp.Combine("nowhere"));
        Assert.That(ResumeValidator.Decide(torrent, temp.Path, ResumeLoadResult.Missing).ToCheck.IsEmpty, Is.True);
    }
}
