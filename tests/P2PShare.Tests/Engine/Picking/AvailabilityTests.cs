using P2PShare.Engine.Picking;
using P2PShare.Protocol;

namespace P2PShare.Tests.Engine.Picking;

public class AvailabilityTests
{
    /// <summary>Every ranked piece sits in the bucket of its count, every piece is in exactly one place, excluded ones in none.</summary>
    private static void AssertConsistent(Availability availability, int[] expectedCounts, bool[] excluded)
    {
        var seen = new HashSet<int>();
        for (var b = 0; b < availability.BucketCount; b++)
        {
            foreach (var piece in availability.Bucket(b))
            {
                Assert.That(seen.Add(piece), Is.True, $"piece {piece} ranked twice");
                Assert.That(excluded[piece], Is.False, $"excluded piece {piece} is ranked");
                Assert.That(b + availability.Seeds, Is.EqualTo(expectedCounts[piece]), $"piece {piece} in bucket {b}");
            }
        }
        for (var piece = 0; piece < expectedCounts.Length; piece++)
        {
            Assert.That(availability[piece], Is.EqualTo(expectedCounts[piece]), $"count of piece {piece}");
            Assert.That(seen.Contains(piece), Is.EqualTo(!excluded[piece]), $"piece {piece} ranked");
        }
    }

    [Test]
    public void Counts_and_buckets_follow_peers_haves_seeds_and_exclusions_like_a_plain_count()
    {
        const int pieces = 300;
        var random = new Random(7);
        var availability = new Availability(pieces);
        var counts = new int[pieces];
        var excluded = new bool[pieces];
        var peers = new List<Bitfield>();
        var seeds = 0;
        for (var step = 0; step < 2000; step++)
        {
            switch (random.Next(6))
            {
                case 0:
                    var has = new Bitfield(pieces);
                    for (var p = 0; p < pieces; p++)
                        if (random.Next(3) == 0)
                            has[p] = true;
                    availability.AddPeer(has);
                    peers.Add(has);
                    foreach (var p in has.SetIndices())
                        counts[p]++;
                    break;
                case 1 when peers.Count > 0:
                    var leaving = peers[random.Next(peers.Count)];
                    peers.Remove(leaving);
                    availability.RemovePeer(leaving);
                    foreach (var p in leaving.SetIndices())
                        counts[p]--;
                    break;
                case 2 when peers.Count > 0:
                    var peer = peers[random.Next(peers.Count)];
                    var piece = random.Next(pieces);
                    if (!peer[piece])
                    {
                        peer[piece] = true;
                        availability.AddHave(piece);
                        counts[piece]++;
                    }
                    break;
                case 3:
                    var toggled = random.Next(pieces);
                    excluded[toggled] = !excluded[toggled];
                    availability.SetExcluded(toggled, excluded[toggled]);
                    break;
                case 4:
                    availability.AddSeed();
                    seeds++;
                    for (var p = 0; p < pieces; p++)
                        counts[p]++;
                    break;
                case 5 when seeds > 0:
                    availability.RemoveSeed();
                    seeds--;
                    for (var p = 0; p < pieces; p++)
                        counts[p]--;
                    break;
            }
            if (step % 100 == 0)
                AssertConsistent(availability, counts, excluded);
        }
        AssertConsistent(availability, counts, excluded);
    }

    [Test]
    public void A_piece_excluded_while_its_count_grew_is_ranked_by_its_new_count_when_it_comes_back()
    {
        var availability = new Availability(4);
        availability.SetExcluded(2, true);
        for (var i = 0; i < 5; i++)
            availability.AddHave(2);
        availability.AddHave(1);
        Assert.That(availability.BucketCount, Is.EqualTo(2), "an excluded piece does not make buckets");

        availability.SetExcluded(2, false);

        Assert.That(availability[2], Is.EqualTo(5));
        Assert.That(availability.Bucket(5).ToArray(), Is.EqualTo(new[] { 2 }));
        Assert.That(availability.Bucket(1).ToArray(), Is.EqualTo(new[] { 1 }));
        Assert.That(availability.Bucket(0).ToArray(), Is.EquivalentTo(new[] { 0, 3 }));
    }

    [Test]
    public void A_have_from_a_peer_never_counted_does_not_go_below_zero()
    {
        var availability = new Availability(3);
        availability.RemoveHave(1);
        availability.RemoveSeed();
        Assert.That(availability[1], Is.Zero);
        Assert.That(availability.Seeds, Is.Zero);
        Assert.That(availability.Bucket(0).Length, Is.EqualTo(3));
    }

    [Test]
    public void With_100000_pieces_the_one_rare_piece_is_alone_in_its_bucket()
    {
        const int pieces = 100_000;
        var availability = new Availability(pieces);
        var everything = new Bitfield(pieces);
        everything.SetAll();
        var allButOne = everything.Clone();
        allButOne[77_777] = false;
        for (var peer = 0; peer < 20; peer++)
            availability.AddPeer(peer == 0 ? everything : allButOne);

        // Nineteen peers lack piece 77,777: it alone is in bucket 1, the rest in bucket 20.
        Assert.That(availability.Bucket(1).ToArray(), Is.EqualTo(new[] { 77_777 }));
        Assert.That(availability.Bucket(20).Length, Is.EqualTo(pieces - 1));
        for (var b = 2; b < 20; b++)
            Assert.That(availability.Bucket(b).IsEmpty, Is.True);
    }
}
