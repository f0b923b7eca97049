using P2PShare.Engine;
using P2PShare.Networking;
using P2PShare.Tests.Support;

namespace P2PShare.Tests.Engine;

/// <summary>The engine-wide budget, eviction's choice, and nested rate limits.</summary>
public class ConnectionLimitTests
{
    [Test]
    public void The_budget_counts_connections_and_dials_against_changeable_limits()
    {
        var budget = new ConnectionBudget(maxConnections: 3, maxHalfOpen: 2);
        Assert.That(budget.TryStartDial(), Is.True);
        Assert.That(budget.TryStartDial(), Is.True);
        Assert.That(budget.TryStartDial(), Is.False, "two dials at most");
        Assert.That(budget.TryOpen(), Is.True);
        Assert.That(budget.TryStartDial(), Is.False, "dials and connections together stay within the limit");
        budget.EndDial();
        budget.EndDial();
        Assert.That(budget.TryOpen(), Is.True);
        Assert.That(budget.TryOpen(), Is.True);
        Assert.That(budget.TryOpen(), Is.False);
        budget.SetLimits(4, 2);
        Assert.That(budget.TryOpen(), Is.True);
        budget.Close();
        Assert.That(budget.Open, Is.EqualTo(3));
    }

    private static EvictionCandidate Idle(double connectedSeconds, double silentSeconds) =>
        new(false, TimeSpan.FromSeconds(connectedSeconds), TimeSpan.FromSeconds(silentSeconds), false, false, 0, 0);

    [Test]
    public void Eviction_picks_the_longest_silent_useless_peer_past_the_grace_period()
    {
        var grace = TimeSpan.FromSeconds(10);
        var peers = new List<EvictionCandidate> { Idle(100, 20), Idle(100, 90), Idle(5, 5), Idle(200, 50) };
        Assert.That(PeerEviction.Choose(peers, grace), Is.EqualTo(1));
        peers[1] = peers[1] with { PeerInterested = true };
        Assert.That(PeerEviction.Choose(peers, grace), Is.EqualTo(3), "an interested peer is useful");
        peers[3] = peers[3] with { VerifiedBytes = 1 };
        peers[0] = peers[0] with { UploadedBytes = 1 };
        Assert.That(PeerEviction.Choose(peers, grace), Is.Null, "the rest gave or took data, or are too new");
        Assert.That(PeerEviction.Choose([Idle(100, 100) with { Closing = true }], grace), Is.Null);
    }

    [Test]
    public async Task A_torrent_bucket_pays_into_the_engine_bucket_so_the_stricter_one_sets_the_pace()
    {
        var clock = new ManualTimeProvider();
        var engine = new TokenBucket(256 * 1024, clock);
        var torrent = new TokenBucket(0, clock, engine);
        Assert.That(torrent.IsUnlimited, Is.False, "limited by its parent");
        Assert.That(torrent.ConsumeAsync(64 * 1024, CancellationToken.None).IsCompleted, Is.True, "within the engine's burst");
        var waiting = torrent.ConsumeAsync(128 * 1024, CancellationToken.None);
        Assert.That(waiting.IsCompleted, Is.False, "the engine's limit holds it");
        clock.Advance(TimeSpan.FromSeconds(1));
        await waiting.AsTask().WaitAsync(TimeSpan.FromSeconds(5));

        // Raising the engine's rate to unlimited lets the next transfer through at once.
        engine.SetRate(0);
        Assert.That(torrent.ConsumeAsync(10 * 1024 * 1024, CancellationToken.None).IsCompleted, Is.True);
        Assert.That(torrent.IsUnlimited, Is.True);
    }
}
