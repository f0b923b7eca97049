using P2PShare.Cli.Daemon;

namespace P2PShare.Tests.Daemon;

[TestFixture]
public sealed class TorrentQueueTests
{
    [Test]
    public void At_most_N_downloads_start_in_queue_order()
    {
        var torrents = Enumerable.Range(1, 5).Select(i => new QueueItem(i, QueuePosition: 10 - i, WantsToRun: true, IsComplete: false, IsRunning: false)).ToList();

        var decision = TorrentQueue.Decide(torrents, maxDownloads: 2, maxSeeds: null);

        Assert.That(decision.Start, Is.EquivalentTo(new[] { 5, 4 }), "the two first in queue order (lowest positions)");
        Assert.That(decision.Hold, Is.Empty);
    }

    [Test]
    public void Downloads_and_seeds_have_separate_limits()
    {
        QueueItem[] torrents =
        [
            new(1, 0, true, IsComplete: true, IsRunning: false),
            new(2, 1, true, IsComplete: true, IsRunning: false),
            new(3, 2, true, IsComplete: false, IsRunning: false),
            new(4, 3, true, IsComplete: false, IsRunning: false),
        ];

        var decision = TorrentQueue.Decide(torrents, maxDownloads: 1, maxSeeds: 1);

        Assert.That(decision.Start, Is.EquivalentTo(new[] { 1, 3 }));
    }

    [Test]
    public void A_running_torrent_keeps_its_slot_and_stopped_ones_do_not_count()
    {
        QueueItem[] torrents =
        [
            new(1, 0, WantsToRun: false, IsComplete: false, IsRunning: false),
            new(2, 1, WantsToRun: true, IsComplete: false, IsRunning: false),
            new(3, 2, WantsToRun: true, IsComplete: false, IsRunning: true),
        ];

        var decision = TorrentQueue.Decide(torrents, maxDownloads: 1, maxSeeds: null);

        Assert.That(decision.Start, Is.Empty, "no slot free: 3 runs, 2 waits, 1 is stopped");
        Assert.That(decision.Hold, Is.Empty, "a new torrent never pre-empts a running one");
    }

    [Test]
    public void A_lowered_limit_holds_the_running_torrents_last_in_queue()
    {
        var torrents = Enumerable.Range(1, 4).Select(i => new QueueItem(i, i, true, false, IsRunning: true)).ToList();

        var decision = TorrentQueue.Decide(torrents, maxDownloads: 2, maxSeeds: null);

        Assert.That(decision.Hold, Is.EquivalentTo(new[] { 3, 4 }));
        Assert.That(decision.Start, Is.Empty);
    }

    [Test]
    public void A_forced_start_ignores_the_limit_and_no_limit_starts_all()
    {
        QueueItem[] torrents =
        [
            new(1, 0, true, false, IsRunning: true),
            new(2, 1, true, false, IsRunning: false, ForceStart: true),
            new(3, 2, true, false, IsRunning: false),
        ];

        Assert.That(TorrentQueue.Decide(torrents, maxDownloads: 1, maxSeeds: null).Start, Is.EquivalentTo(new[] { 2 }));
        Assert.That(TorrentQueue.Decide(torrents, maxDownloads: null, maxSeeds: null).Start, Is.EquivalentTo(new[] { 2, 3 }));
    }
}
