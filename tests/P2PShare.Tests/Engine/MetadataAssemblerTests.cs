using System.Security.Cryptography;
using P2PShare.Engine;
using P2PShare.Metainfo;
using P2PShare.Protocol.Extensions;
using P2PShare.Tests.Support;

namespace P2PShare.Tests.Engine;

public class MetadataAssemblerTests
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(10);

    private sealed class Peer(string name)
    {
        public override string ToString() => name;
    }

    private static (byte[] Metadata, InfoHash Hash) Metadata(int size, int seed = 1)
    {
        var bytes = new byte[size];
        new Random(seed).NextBytes(bytes);
        return (bytes, new InfoHash(SHA1.HashData(bytes)));
    }

    private static ReadOnlySpan<byte> PieceOf(byte[] metadata, int piece) =>
        metadata.AsSpan(piece * MetadataMessage.PieceLength, MetadataMessage.PieceSize(metadata.Length, piece));

    [Test]
    public void Pieces_from_several_peers_assemble_into_metadata_that_matches_the_info_hash()
    {
        var (metadata, hash) = Metadata(40_000);
        var assembler = new MetadataAssembler<Peer>(metadata.Length, new ManualTimeProvider(), Timeout);
        Peer a = new("a"), b = new("b");
        Assert.That(assembler.PieceCount, Is.EqualTo(3));

        Assert.That(assembler.TryAssign(a, out var first), Is.True);
        Assert.That(assembler.TryAssign(b, out var second), Is.True);
        Assert.That(assembler.TryAssign(a, out var third), Is.True);
        Assert.That(new[] { first, second, third }, Is.EquivalentTo(new[] { 0, 1, 2 }));
        Assert.That(assembler.TryAssign(b, out _), Is.False, "every piece is being asked for");
        Assert.That(assembler.OutstandingFor(a), Is.EqualTo(2));

        Assert.That(assembler.Accept(a, third, metadata.Length, PieceOf(metadata, third)), Is.EqualTo(MetadataPieceOutcome.Stored));
        Assert.That(assembler.Accept(b, second, metadata.Length, PieceOf(metadata, second)), Is.EqualTo(MetadataPieceOutcome.Stored));
        Assert.That(assembler.IsComplete, Is.False);
        Assert.That(assembler.Accept(a, first, metadata.Length, PieceOf(metadata, first)), Is.EqualTo(MetadataPieceOutcome.Stored));
        Assert.That(assembler.IsComplete, Is.True);

        Assert.That(assembler.TryVerify(hash, out var assembled, out var contributors), Is.True);
        Assert.That(assembled, Is.EqualTo(metadata));
        Assert.That(contributors, Is.EquivalentTo(new[] { a, b }));
    }

    [Test]
    public void A_mismatch_names_the_contributors_and_starts_over()
    {
        var (metadata, hash) = Metadata(20_000);
        var assembler = new MetadataAssembler<Peer>(metadata.Length, new ManualTimeProvider(), Timeout);
        Peer honest = new("honest"), liar = new("liar");
        assembler.TryAssign(honest, out var p0);
        assembler.TryAssign(liar, out var p1);
        assembler.Accept(honest, p0, metadata.Length, PieceOf(metadata, p0));
        var wrong = PieceOf(metadata, p1).ToArray();
        wrong[0] ^= 1;
        assembler.Accept(liar, p1, metadata.Length, wrong);

        Assert.That(assembler.TryVerify(hash, out var assembled, out var contributors), Is.False);
        Assert.That(assembled, Is.Empty);
        Assert.That(contributors, Is.EquivalentTo(new[] { honest, liar }));
        Assert.That(assembler.ReceivedCount, Is.Zero, "every piece is fetched again");

        // Fetched again, all from the honest peer: now it matches.
        while (assembler.TryAssign(honest, out var piece))
            Assert.That(assembler.Accept(honest, piece, metadata.Length, PieceOf(metadata, piece)), Is.EqualTo(MetadataPieceOutcome.Stored));
        Assert.That(assembler.TryVerify(hash, out assembled, out contributors), Is.True);
        Assert.That(assembled, Is.EqualTo(metadata));
        Assert.That(contributors, Is.EqualTo(new[] { honest }));
    }

    [Test]
    public void An_unanswered_request_times_out_and_goes_to_another_peer()
    {
        var time = new ManualTimeProvider();
        var (metadata, hash) = Metadata(1000);
        var assembler = new MetadataAssembler<Peer>(metadata.Length, time, Timeout);
        Peer slow = new("slow"), fast = new("fast");
        Assert.That(assembler.TryAssign(slow, out var piece), Is.True);
        Assert.That(assembler.TryAssign(fast, out _), Is.False);

        time.Advance(Timeout - TimeSpan.FromSeconds(1));
        Assert.That(assembler.ExpireRequests(), Is.Empty);
        time.Advance(TimeSpan.FromSeconds(1));
        Assert.That(assembler.ExpireRequests(), Is.EqualTo(new[] { slow }));

        Assert.That(assembler.TryAssign(fast, out var again), Is.True);
        Assert.That(again, Is.EqualTo(piece));
        Assert.That(assembler.Accept(fast, again, metadata.Length, metadata), Is.EqualTo(MetadataPieceOutcome.Stored));
        // The slow peer's late answer is harmless.
        Assert.That(assembler.Accept(slow, piece, metadata.Length, metadata), Is.EqualTo(MetadataPieceOutcome.Duplicate));
        Assert.That(assembler.TryVerify(hash, out _, out var contributors), Is.True);
        Assert.That(contributors, Is.EqualTo(new[] { fast }));
    }

    [Test]
    public void A_rejected_or_released_piece_can_be_asked_of_someone_else()
    {
        var assembler = new MetadataAssembler<Peer>(5000, new ManualTimeProvider(), Timeout);
        Peer a = new("a"), b = new("b");
        assembler.TryAssign(a, out var piece);
        assembler.Release(b, piece);
        Assert.That(assembler.TryAssign(b, out _), Is.False, "only the peer asked can give a request back");
        assembler.ReleaseAll(a);
        Assert.That(assembler.TryAssign(b, out var again), Is.True);
        Assert.That(again, Is.EqualTo(piece));
    }

    [Test]
    public void Pieces_nobody_asked_for_or_of_the_wrong_size_are_not_stored()
    {
        var (metadata, _) = Metadata(20_000);
        var assembler = new MetadataAssembler<Peer>(metadata.Length, new ManualTimeProvider(), Timeout);
        Peer asked = new("asked"), pusher = new("pusher");
        assembler.TryAssign(asked, out var piece);

        Assert.That(assembler.Accept(pusher, piece, metadata.Length, PieceOf(metadata, piece)), Is.EqualTo(MetadataPieceOutcome.NotRequested));
        Assert.That(assembler.Accept(asked, 5, metadata.Length, PieceOf(metadata, 0)), Is.EqualTo(MetadataPieceOutcome.NotRequested), "piece out of range");
        Assert.That(assembler.Accept(asked, -1, metadata.Length, PieceOf(metadata, 0)), Is.EqualTo(MetadataPieceOutcome.NotRequested), "negative piece");
        Assert.That(assembler.Accept(asked, piece, metadata.Length + 1, PieceOf(metadata, piece)), Is.EqualTo(MetadataPieceOutcome.WrongSize), "another total size");
        Assert.That(assembler.Accept(asked, piece, metadata.Length, PieceOf(metadata, piece)[..100]), Is.EqualTo(MetadataPieceOutcome.WrongSize), "short piece");
        Assert.That(assembler.ReceivedCount, Is.Zero);
    }

    [TestCase(0L)]
    [TestCase(-1L)]
    [TestCase(ExtensionHandshake.MaxMetadataSize + 1)]
    [TestCase(long.MaxValue)]
    public void Sizes_outside_the_limit_are_refused_before_anything_is_allocated(long size)
    {
        var before = GC.GetAllocatedBytesForCurrentThread();
        Assert.Throws<ArgumentOutOfRangeException>(() => _ = new MetadataAssembler<Peer>(size, new ManualTimeProvider(), Timeout));
        Assert.That(GC.GetAllocatedBytesForCurrentThread() - before, Is.LessThan(64 * 1024), "refused without allocating the claimed size");
    }

    [Test]
    public void The_largest_allowed_size_is_accepted()
    {
        var assembler = new MetadataAssembler<Peer>(ExtensionHandshake.MaxMetadataSize, new ManualTimeProvider(), Timeout);
        Assert.That(assembler.PieceCount, Is.EqualTo(1024));
    }

    [Test]
    public void Verifying_before_all_pieces_arrived_is_a_caller_bug()
    {
        var (_, hash) = Metadata(100);
        var assembler = new MetadataAssembler<Peer>(100, new ManualTimeProvider(), Timeout);
        Assert.Throws<InvalidOperationException>(() => assembler.TryVerify(hash, out _, out _));
    }
}
