using System.Net;
using System.Security.Cryptography;
using P2PShare.Engine;
using P2PShare.Protocol.Wire;

namespace P2PShare.Tests.Engine;

public class SmartBanTests
{
    private const int Block = PieceDownload.BlockLength;
    private static readonly IPEndPoint Honest = new(IPAddress.Loopback, 1001);
    private static readonly IPEndPoint Liar = new(IPAddress.Loopback, 1002);

    private static SmartBan.BlockEvidence[] Evidence(byte[] piece, params IPEndPoint[] senders) =>
        senders.Select((sender, b) => new SmartBan.BlockEvidence(
            SHA1.HashData(piece.AsSpan(b * Block, Math.Min(Block, piece.Length - b * Block))), sender, PeerId.CreateOurs(new Random(sender.Port)))).ToArray();

    [Test]
    public void Only_the_peer_whose_block_differs_from_the_verified_data_is_blamed()
    {
        var good = new byte[3 * Block - 100];
        new Random(1).NextBytes(good);
        var received = (byte[])good.Clone();
        received[Block + 5] ^= 0xFF; // The liar sent block 1.

        var culprits = SmartBan.Culprits(Evidence(received, Honest, Liar, Honest), good);

        Assert.That(culprits.Select(c => c.Sender), Is.EqualTo(new[] { Liar }));
    }

    [Test]
    public void A_liar_that_sent_several_bad_blocks_is_named_once_and_a_clean_piece_blames_nobody()
    {
        var good = new byte[4 * Block];
        new Random(2).NextBytes(good);
        var received = (byte[])good.Clone();
        received[10] ^= 1;
        received[2 * Block + 10] ^= 1;

        Assert.That(SmartBan.Culprits(Evidence(received, Liar, Honest, Liar, Honest), good).Count, Is.EqualTo(1));
        Assert.That(SmartBan.Culprits(Evidence(good, Liar, Honest, Liar, Honest), good), Is.Empty);
    }

    [Test]
    public void Evidence_is_bounded_and_taken_once()
    {
        var ban = new SmartBan();
        var evidence = Evidence(new byte[Block], Honest);
        for (var piece = 0; piece < SmartBan.MaxPieces + 50; piece++)
            ban.RecordFailure(piece, evidence);
        Assert.That(ban.Count, Is.EqualTo(SmartBan.MaxPieces));
        Assert.That(ban.TryTake(0, out _), Is.False, "oldest evidence was dropped");
        Assert.That(ban.TryTake(SmartBan.MaxPieces + 49, out _), Is.True);
        Assert.That(ban.TryTake(SmartBan.MaxPieces + 49, out _), Is.False);
    }
}
