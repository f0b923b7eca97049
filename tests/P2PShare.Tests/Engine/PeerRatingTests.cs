using P2PShare.Engine;

namespace P2PShare.Tests.Engine;

public class PeerRatingTests
{
    private static readonly TimeSpan Long = TimeSpan.FromMinutes(5);

    [Test]
    public void Verified_data_and_rate_raise_the_score_and_misbehaviour_lowers_it()
    {
        var idle = PeerRating.Score(new PeerRecord(0, 0, 0, false, 0, Long));
        var useful = PeerRating.Score(new PeerRecord(50 << 20, 2 << 20, 0, false, 0, Long));
        var timingOut = PeerRating.Score(new PeerRecord(0, 0, RequestTimeouts: 4, false, 0, Long));
        var corrupt = PeerRating.Score(new PeerRecord(50 << 20, 2 << 20, 0, false, HashFailures: 2, Long));
        Assert.That(useful, Is.GreaterThan(idle));
        Assert.That(timingOut, Is.LessThan(idle));
        Assert.That(corrupt, Is.LessThan(idle), "hash failures outweigh the data they came with");
    }

    [Test]
    public void The_worst_peer_past_its_grace_period_makes_room_and_new_peers_are_spared()
    {
        var peers = new List<PeerRecord>
        {
            new(100 << 20, 1 << 20, 0, false, 0, Long),
            new(0, 0, 0, IsSnubbed: true, 0, Long),
            new(0, 0, 0, IsSnubbed: true, 3, TimeSpan.FromSeconds(5)),
        };
        Assert.That(PeerRating.WorstToReplace(peers), Is.EqualTo(1));
    }

    [Test]
    public void Nobody_is_dropped_when_every_peer_is_useful()
    {
        var peers = new List<PeerRecord> { new(10 << 20, 1 << 20, 0, false, 0, Long), new(20 << 20, 1 << 19, 0, false, 0, Long) };
        Assert.That(PeerRating.WorstToReplace(peers), Is.Null);
    }
}
