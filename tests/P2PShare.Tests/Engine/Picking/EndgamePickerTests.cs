using System.Buffers;
using P2PShare.Engine;
using P2PShare.Engine.Picking;

namespace P2PShare.Tests.Engine.Picking;

public class EndgamePickerTests
{
    private const int Block = PieceDownload.BlockLength;

    [Test]
    public void The_missing_block_asked_of_the_fewest_peers_is_duplicated()
    {
        var piece = new PieceDownload(3, 4 * Block);
        piece.MarkRequested(0);
        piece.MarkRequested(0);
        piece.MarkRequested(1);
        piece.MarkRequested(2);
        piece.MarkRequested(3);
        piece.TryAccept(1 * Block, new ReadOnlySequence<byte>(new byte[Block]), new object(), out _);
        piece.MarkRequested(2); // Block 2 asked twice.
        var picker = new EndgamePicker(maxDuplicates: 3);

        Assert.That(picker.TryPick([piece], FakeSwarm.Pieces(4, 3), (_, _) => false, out var picked, out var block), Is.True);
        Assert.That(picked, Is.SameAs(piece));
        Assert.That(block, Is.EqualTo(3), "block 1 is received, 0 and 2 are asked of two peers, 3 of one");
        piece.Release();
    }

    [Test]
    public void A_block_is_never_asked_of_more_peers_than_allowed_nor_twice_of_one_peer()
    {
        var piece = new PieceDownload(0, 2 * Block);
        piece.MarkRequested(0);
        piece.MarkRequested(0);
        piece.MarkRequested(1);
        var picker = new EndgamePicker(maxDuplicates: 2);
        var has = FakeSwarm.Pieces(1, 0);

        Assert.That(picker.TryPick([piece], has, (_, b) => b == 1, out _, out _), Is.False, "block 0 is at the limit, block 1 was asked of this peer");
        Assert.That(picker.TryPick([piece], has, (_, _) => false, out _, out var block), Is.True);
        Assert.That(block, Is.EqualTo(1));
        piece.Release();
    }

    [Test]
    public void Pieces_the_peer_lacks_are_not_duplicated_from_it()
    {
        var piece = new PieceDownload(1, Block);
        piece.MarkRequested(0);
        Assert.That(new EndgamePicker(2).TryPick([piece], FakeSwarm.Pieces(2, 0), (_, _) => false, out _, out _), Is.False);
        piece.Release();
    }
}
