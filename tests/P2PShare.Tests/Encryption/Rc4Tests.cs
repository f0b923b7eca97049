using System.Diagnostics;
using System.Text;
using P2PShare.Networking.Encryption;

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
    public void Transforms_without_allocating_and_reports_throughput()
    {
        var rc4 = Rc4.ForMse("throughput"u8);
        var block = new byte[16 * 1024];
        rc4.Transform(block);
        var clock = Stopwatch.StartNew();
        var before = GC.GetAllocatedBytesForCurrentThread();
        const int Blocks = 4096; // 64 MiB
        for (var i = 0; i < Blocks; i++)
            rc4.Transform(block);
        var allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        clock.Stop();
        TestContext.Out.WriteLine($"RC4: {Blocks * block.Length / clock.Elapsed.TotalSeconds / 1e6:0} MB/s");
        Assert.That(allocated, Is.Zero, $"{allocated} bytes allocated");
    }
}
