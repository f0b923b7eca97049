namespace P2PShare.Tests.Support;

public sealed class SameBytesConstraintTests
{
    [Test]
    public void Equal_contents_pass_in_every_byte_container()
    {
        var data = new byte[3 * 1024 * 1024];
        new Random(1).NextBytes(data);
        var copy = (byte[])data.Clone();
        Assert.That(copy, SameBytes.As(data));
        Assert.That(new ReadOnlyMemory<byte>(copy), SameBytes.As(data));
        Assert.That(new ArraySegment<byte>(copy), SameBytes.As(new Memory<byte>(data)));
    }

    [Test]
    public void A_difference_fails_and_names_its_offset_and_the_lengths()
    {
        var data = new byte[100_000];
        var other = (byte[])data.Clone();
        other[77_777] = 9;
        var error = Assert.Throws<AssertionException>(() => Assert.That(other, SameBytes.As(data)));
        Assert.That(error!.Message, Does.Contain("first difference at offset 77777: 0x09 instead of 0x00"));
        error = Assert.Throws<AssertionException>(() => Assert.That(data[..10], SameBytes.As(data)));
        Assert.That(error!.Message, Does.Contain("10 bytes, expected 100000"));
    }

    [Test]
    public void Values_that_are_not_bytes_are_compared_as_NUnit_compares_them()
    {
        Assert.That("abc", SameBytes.As("abc"));
        Assert.Throws<AssertionException>(() => Assert.That(new[] { 1, 2 }, SameBytes.As(new[] { 1, 3 })));
    }
}
