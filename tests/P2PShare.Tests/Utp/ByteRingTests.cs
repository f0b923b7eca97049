using P2PShare.Networking.Utp;

namespace P2PShare.Tests.Utp;

/// <summary>The connection buffers: FIFO order across wrap-around and growth, the bound, memory taken only as data waits.</summary>
public class ByteRingTests
{
    [Test]
    public void Bytes_come_out_in_order_across_wraps_and_growth()
    {
        var ring = new ByteRing(1024 * 1024);
        var random = new Random(5);
        var written = new List<byte>();
        var read = new List<byte>();
        var chunk = new byte[50_000];
        for (var step = 0; step < 200; step++)
        {
            if (random.Next(3) > 0)
            {
                random.NextBytes(chunk);
                var n = ring.Write(chunk.AsSpan(0, random.Next(1, chunk.Length)));
                written.AddRange(chunk.AsSpan(0, n).ToArray());
            }
            else
            {
                var into = new byte[random.Next(1, 120_000)];
                var n = ring.Read(into);
                read.AddRange(into.AsSpan(0, n).ToArray());
            }
        }
        var rest = new byte[ring.Count];
        ring.Read(rest);
        read.AddRange(rest);
        Assert.That(read, Is.EqualTo(written));
        ring.Release();
    }

    [Test]
    public void It_never_holds_more_than_its_capacity()
    {
        var ring = new ByteRing(100_000);
        Assert.That(ring.Write(new byte[150_000]), Is.EqualTo(100_000));
        Assert.That(ring.Free, Is.Zero);
        Assert.That(ring.Write(new byte[1]), Is.Zero);
        ring.Release();
    }

    [Test]
    public void A_large_window_costs_memory_only_when_data_waits()
    {
        var ring = new ByteRing(4 * 1024 * 1024);
        Assert.That(ring.Allocated, Is.LessThanOrEqualTo(64 * 1024), "an idle connection holds a small array");
        for (var i = 0; i < 100; i++)
        {
            ring.Write(new byte[30_000]);
            ring.Read(new byte[30_000]);
        }
        Assert.That(ring.Allocated, Is.LessThanOrEqualTo(64 * 1024), "data read as fast as it comes needs no growth");
        ring.Write(new byte[3 * 1024 * 1024]);
        Assert.That(ring.Allocated, Is.GreaterThanOrEqualTo(3 * 1024 * 1024));
        ring.Release();
    }
}
