using P2PShare.Protocol;
using System.Net;
using P2PShare.Engine.Native;
using P2PShare.Networking.Native;
using P2PShare.Protocol.Native;
using P2PShare.Storage.Native;

namespace P2PShare.Tests.Native;

public class NativeUnitTests
{
    private sealed class ManualTime : TimeProvider
    {
        public DateTimeOffset Now { get; set; } = new(2025, 1, 1, 0, 0, 0, TimeSpan.Zero);

        public override DateTimeOffset GetUtcNow() => Now;
    }

    [Test]
    public void Scheduler_asks_lowest_missing_pieces_the_peer_has_and_never_twice()
    {
        var scheduler = new NativePieceScheduler<string>(10, TimeSpan.FromSeconds(5), new ManualTime());
        var have = new HashSet<int> { 0 };
        var picksA = scheduler.Pick("a", 3, i => i != 2, have.Contains);
        var picksB = scheduler.Pick("b", 3, _ => true, have.Contains);
        Assert.That(picksA, Is.EqualTo(new[] { 1, 3, 4 }));
        Assert.That(picksB, Is.EqualTo(new[] { 2, 5, 6 }));
        Assert.That(scheduler.IsRequestedFrom(3, "a"), Is.True);
        Assert.That(scheduler.IsRequestedFrom(3, "b"), Is.False);
    }

    [Test]
    public void Scheduler_times_out_requests_and_moves_them_to_another_peer()
    {
        var time = new ManualTime();
        var scheduler = new NativePieceScheduler<string>(2, TimeSpan.FromSeconds(5), time);
        Assert.That(scheduler.Pick("slow", 2, _ => true, _ => false), Is.EqualTo(new[] { 0, 1 }));
        time.Now += TimeSpan.FromSeconds(4);
        Assert.That(scheduler.Expire(), Is.Empty);
        time.Now += TimeSpan.FromSeconds(2);
        Assert.That(scheduler.Expire(), Is.EquivalentTo(new[] { ("slow", 0), ("slow", 1) }));
        Assert.That(scheduler.Pick("slow", 2, _ => true, _ => false), Is.Empty, "the slow peer is avoided for a while");
        Assert.That(scheduler.Pick("fast", 2, _ => true, _ => false), Is.EqualTo(new[] { 0, 1 }));
    }

    [Test]
    public void Scheduler_frees_a_departed_peers_requests()
    {
        var scheduler = new NativePieceScheduler<string>(3, TimeSpan.FromSeconds(5), new ManualTime());
        scheduler.Pick("a", 3, _ => true, _ => false);
        scheduler.ReleaseAll("a");
        Assert.That(scheduler.Pick("b", 3, _ => true, _ => false), Is.EqualTo(new[] { 0, 1, 2 }));
    }

    [TestCase("::ffff:127.0.0.1", "127.0.0.1")]
    [TestCase("127.0.0.1", "127.0.0.1")]
    [TestCase("::1", "::1")]
    [TestCase("[::1]", "::1")]
    [TestCase("fe80::1%2", "fe80::1%2")]
    public void Hosts_parse_in_ipv4_ipv6_and_mapped_forms(string host, string expected)
    {
        Assert.That(NativeHostParser.TryParse(host, out var address), Is.True);
        Assert.That(address, Is.EqualTo(IPAddress.Parse(expected)));
    }

    [TestCase("example.com")]
    [TestCase("0.0.0.0")]
    [TestCase("")]
    public void Unusable_hosts_are_rejected(string host) => Assert.That(NativeHostParser.TryParse(host, out _), Is.False);

    [Test]
    public void Greater_id_dials() 
    {
        Assert.That(NativePeerId.ShouldDial("b000000000000000", "a000000000000000"), Is.True);
        Assert.That(NativePeerId.ShouldDial("a000000000000000", "b000000000000000"), Is.False);
        Assert.That(NativePeerId.NewId(), Does.Match("^[0-9a-f]{16}$"));
    }

    [Test]
    public void Bitmap_round_trips_and_rejects_bits_past_the_end()
    {
        // The engine's Bitfield in memory; on disk the resume file keeps its old byte order (piece 0 = low bit).
        var bitmap = new Bitfield(11);
        bitmap[0] = true;
        bitmap[10] = true;
        var stored = NativeResumeFile.EncodeHave(bitmap);
        Assert.That(stored, Is.EqualTo(new byte[] { 0x01, 0x04 }));
        var copy = NativeResumeFile.DecodeHave(stored, 11);
        Assert.That(copy.SetIndices(), Is.EqualTo(new[] { 0, 10 }));
        Assert.That(copy.CountSet, Is.EqualTo(2));
        Assert.Throws<InvalidDataException>(() => NativeResumeFile.DecodeHave(new byte[] { 0, 0x80 }, 11));
        Assert.Throws<InvalidDataException>(() => NativeResumeFile.DecodeHave(new byte[] { 0 }, 11));
    }

    [Test]
    public void Resume_file_is_replaced_atomically_and_a_damaged_one_is_reported()
    {
        var directory = NativeTestSupport.NewTempDirectory();
        try
        {
            var resume = new NativeResumeFile(Path.Combine(directory, "data.bin"));
            var file = new NativeFileDescriptor("data.bin", 200_000, new string('c', 40), 65536) { PieceHashes = [.. Enumerable.Repeat(new string('d', 40), 4)] };
            var pieces = new Bitfield(4);
            pieces[2] = true;
            resume.Save(new NativeResumeState(file, pieces));
            pieces[3] = true;
            resume.Save(new NativeResumeState(file, pieces));
            Assert.That(File.Exists(resume.Path + ".tmp"), Is.False);
            var loaded = resume.Load()!;
            Assert.That(loaded.File.FileSize, Is.EqualTo(200_000));
            Assert.That(loaded.File.PieceHashes, Has.Count.EqualTo(4));
            Assert.That(loaded.Pieces.SetIndices(), Is.EqualTo(new[] { 2, 3 }));

            File.WriteAllText(resume.Path, "{\"version\":1,\"fileSi");
            Assert.Throws<InvalidDataException>(() => resume.Load());
        }
        finally
        {
            NativeTestSupport.DeleteDirectory(directory);
        }
    }
}
