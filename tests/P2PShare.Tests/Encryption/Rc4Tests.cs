using System.Diagnostics;
using System.Text;
using P2PShare.Networking.Encryption;
using P2PShare.Tests.Support;

namespace P2PShare.Tests.Encryption;

public class Rc4Tests
{
    [TestCase("Key", "Plaintext", "bbf316e8d940af0ad3")]
    [TestCase("Wiki", "pedia", "1021bf0420")]
    [TestCase("Secret", "Attack at dawn", "45a01f645fc35b383552544b9bf5")]
    public void Encrypts_the_classic_vectors(string key, string plaintext, string expectedHex)
    {
        var data = Encoding.ASCII.GetBytes(plaintext);
        new Rc4(Encoding.ASCII.GetBytes(key)).Transform(data);
        Assert.That(Convert.ToHexStringLower(data), Is.EqualTo(expectedHex));
    }

    // RFC 6229, 128-bit key 0x0102..10: keystream at offset 0 and at offset 1024 (the first bytes MSE uses).
    [Test]
    public void Keystream_matches_RFC_6229_at_offsets_0_and_1024()
    {
        var key = Convert.FromHexString("0102030405060708090a0b0c0d0e0f10");
        var first = new byte[16];
        new Rc4(key).Transform(first);
        Assert.That(Convert.ToHexStringLower(first), Is.EqualTo("9ac7cc9a609d1ef7b2932899cde41b97"));

        var afterDiscard = new byte[16];
        Rc4.ForMse(key).Transform(afterDiscard);
        Assert.That(Convert.ToHexStringLower(afterDiscard), Is.EqualTo("bdf0324e6083dcc6d3cedd3ca8c53c16"));
    }

    [Test]
    public void Transforming_twice_with_the_same_key_gives_back_the_plaintext_across_uneven_chunks()
    {
        var plain = new byte[100_000];
        new Random(1).NextBytes(plain);
        var data = (byte[])plain.Clone();
        var encrypt = Rc4.ForMse("k"u8);
        for (var offset = 0; offset < data.Length;)
        {
            var n = Math.Min(data.Length - offset, 1 + offset % 4097);
            encrypt.Transform(data.AsSpan(offset, n));
            offset += n;
        }
        Assert.That(data, Is.Not.EqualTo(plain));
        Rc4.ForMse("k"u8).Transform(data);
        Assert.That(data, Is.EqualTo(plain));
    }

    [Test]
    public void Matches_the_textbook_algorithm_over_uneven_chunks_in_place_and_into_another_buffer()
    {
        var key = Convert.FromHexString("6b6579416b6579416b6579416b65794100112233");
        var plain = new byte[1 << 20];
        new Random(7).NextBytes(plain);
        var expected = (byte[])plain.Clone();
        new ReferenceRc4(key).Transform(expected);

        var inPlace = (byte[])plain.Clone();
        var separate = new byte[plain.Length];
        var a = new Rc4(key);
        var b = new Rc4(key);
        var random = new Random(8);
        for (var offset = 0; offset < plain.Length;)
        {
            // Lengths 0..19 (the unrolled loop's tail and none of it) and up to 20,000 (long runs).
            var n = Math.Min(plain.Length - offset, random.Next(2) == 0 ? random.Next(20) : random.Next(20_000));
            a.Transform(inPlace.AsSpan(offset, n));
            b.Transform(plain.AsSpan(offset, n), separate.AsSpan(offset, n + (random.Next(2) == 0 ? 0 : Math.Min(3, plain.Length - offset - n))));
            offset += n;
        }
        Assert.That(inPlace, SameBytes.As(expected));
        Assert.That(separate, SameBytes.As(expected));
    }

    [Test]
    public void Transforms_without_allocating_and_reports_throughput_against_the_textbook_loop()
    {
        // A micro benchmark (printed, never asserted: the machine is shared): MB/s of wall time and of the
        // process's CPU time, ours against the textbook loop, on 16 KiB blocks (one BitTorrent block).
        var block = new byte[16 * 1024];
        const int Blocks = 4096; // 64 MiB
        var rc4 = Rc4.ForMse("throughput"u8);
        rc4.Transform(block);
        var before = GC.GetAllocatedBytesForCurrentThread();
        for (var i = 0; i < 64; i++)
            rc4.Transform(block);
        var allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        var ours = Measure(() => rc4.Transform(block), Blocks, block.Length);
        var reference = new ReferenceRc4("throughput"u8);
        reference.Transform(block);
        var textbook = Measure(() => reference.Transform(block), Blocks / 4, block.Length);
        TestContext.Out.WriteLine($"RC4 (Rc4): {ours.Wall:0} MB/s wall, {ours.Cpu:0} MB/s CPU");
        TestContext.Out.WriteLine($"RC4 (textbook loop): {textbook.Wall:0} MB/s wall, {textbook.Cpu:0} MB/s CPU; ours {ours.Cpu / textbook.Cpu:0.00}x by CPU");
        Assert.That(allocated, Is.Zero, $"{allocated} bytes allocated");
    }

    private static (double Wall, double Cpu) Measure(Action transformBlock, int blocks, int blockLength)
    {
        var cpuBefore = Process.GetCurrentProcess().TotalProcessorTime;
        var clock = Stopwatch.StartNew();
        for (var i = 0; i < blocks; i++)
            transformBlock();
        clock.Stop();
        var cpu = (Process.GetCurrentProcess().TotalProcessorTime - cpuBefore).TotalSeconds;
        double bytes = (double)blocks * blockLength;
        return (bytes / clock.Elapsed.TotalSeconds / 1e6, bytes / Math.Max(cpu, 1e-3) / 1e6);
    }
}
