using P2PShare.Engine;
using P2PShare.Engine.Picking;
using P2PShare.Protocol;

namespace P2PShare.Tests.Engine;

public class PiecePickerTests
{
    private static Bitfield Pieces(int length, params int[] set)
    {
        var bits = new Bitfield(length);
        foreach (var i in set)
            bits[i] = true;
        return bits;
    }

    [Test]
    public void After_the_first_pieces_the_rarest_piece_is_picked()
    {
        var picker = new PiecePicker(8, new Random(3), randomFirstPieces: 0);
        picker.AddPeer(Pieces(8, 0, 1, 2, 3, 4, 5, 6, 7));
        picker.AddPeer(Pieces(8, 0, 1, 2, 3, 4, 6, 7));
        picker.AddPeer(Pieces(8, 0, 1, 2, 3, 4, 6, 7));
        // Piece 5 is held by one peer only.
        Assert.That(picker.PickNew(Pieces(8, 0, 1, 2, 3, 4, 5, 6, 7), new Bitfield(8)), Is.EqualTo(5));
    }

    [Test]
    public void Pieces_we_have_or_are_fetching_are_never_picked()
    {
        var picker = new PiecePicker(4, new Random(1), randomFirstPieces: 0);
        var peer = Pieces(4, 0, 1, 2, 3);
        picker.AddPeer(peer);
        picker.SetBusy(1, true);
        var picked = new HashSet<int>();
        for (var i = 0; i < 50; i++)
            picked.Add(picker.PickNew(peer, Pieces(4, 0, 3))!.Value);
        Assert.That(picked, Is.EquivalentTo(new[] { 2 }));
    }

    [Test]
    public void Nothing_to_pick_gives_null()
    {
        var picker = new PiecePicker(3, new Random(1));
        Assert.That(picker.PickNew(Pieces(3, 0), Pieces(3, 0)), Is.Null);
    }

    [Test]
    public void The_first_pieces_are_random_not_in_order()
    {
        var peer = Pieces(100, Enumerable.Range(0, 100).ToArray());
        var firsts = new HashSet<int>();
        for (var seed = 0; seed < 20; seed++)
        {
            var picker = new PiecePicker(100, new Random(seed));
            picker.AddPeer(peer);
            firsts.Add(picker.PickNew(peer, new Bitfield(100))!.Value);
        }
        Assert.That(firsts.Count, Is.GreaterThan(10));
    }

    [Test]
    public void A_peer_that_leaves_no_longer_counts_for_availability()
    {
        var picker = new PiecePicker(2, new Random(1), randomFirstPieces: 0);
        var leaving = Pieces(2, 0, 1);
        picker.AddPeer(leaving);
        picker.AddPeer(Pieces(2, 1));
        Assert.That(picker.Availability(1), Is.EqualTo(2));
        picker.RemovePeer(leaving);
        Assert.That(picker.Availability(0), Is.Zero);
        Assert.That(picker.Availability(1), Is.EqualTo(1));
    }

    [Test]
    public void The_chain_puts_deadlines_before_priorities_before_rarity_and_never_picks_skipped_pieces()
    {
        var time = new P2PShare.Tests.Support.ManualTimeProvider();
        var picker = new PiecePicker(6, new Random(1), randomFirstPieces: 0, time);
        var seeder = Pieces(6, 0, 1, 2, 3, 4, 5);
        picker.AddPeer(seeder);
        picker.AddPeer(Pieces(6, 0, 1, 2, 4));
        // Rarest: 3 and 5 (one peer each). Priorities: 0 skipped, 1 high. Deadline: 4.
        var priorities = new PiecePriorities(6);
        priorities.Set(0, PiecePriority.Skip);
        priorities.Set(1, PiecePriority.High);
        picker.SetPriorities(priorities);
        picker.SetDeadline(4, TimeSpan.FromSeconds(2));

        var order = new List<int>();
        while (picker.PickNew(seeder, new Bitfield(6)) is { } piece)
        {
            order.Add(piece);
            picker.SetBusy(piece, true);
        }

        Assert.That(order.Take(2), Is.EqualTo(new[] { 4, 1 }));
        Assert.That(order.Skip(2).Take(2), Is.EquivalentTo(new[] { 3, 5 }));
        Assert.That(order.Skip(4), Is.EqualTo(new[] { 2 }));
    }

    [Test]
    public void A_piece_we_have_leaves_the_ranking_and_a_seed_counts_for_every_piece()
    {
        var picker = new PiecePicker(3, new Random(1), randomFirstPieces: 0);
        picker.AddPeer(Pieces(3, 0));
        picker.AddSeed();
        picker.MarkHave(0);
        Assert.That(picker.Availability(0), Is.EqualTo(2));
        Assert.That(picker.Availability(2), Is.EqualTo(1));
        Assert.That(picker.Counts.IsExcluded(0), Is.True);
        Assert.That(picker.PickNew(Pieces(3, 0, 1, 2), Pieces(3, 0)), Is.AnyOf(1, 2));
    }
}
