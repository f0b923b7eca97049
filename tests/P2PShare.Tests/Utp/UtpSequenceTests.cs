using P2PShare.Protocol.Utp;

namespace P2PShare.Tests.Utp;

[TestFixture]
public sealed class UtpSequenceTests
{
    [TestCase((ushort)1, (ushort)2, true)]
    [TestCase((ushort)65535, (ushort)0, true)]
    [TestCase((ushort)65000, (ushort)100, true)]
    [TestCase((ushort)0, (ushort)65535, false)]
    [TestCase((ushort)5, (ushort)5, false)]
    [TestCase((ushort)0, (ushort)0x8000, false)]
    [TestCase((ushort)0, (ushort)0x7FFF, true)]
    public void IsBeforeWrapsAround(ushort a, ushort b, bool before)
    {
        Assert.That(UtpSequence.IsBefore(a, b), Is.EqualTo(before));
        if (a != b)
            Assert.That(UtpSequence.IsAfter(b, a), Is.EqualTo(before));
    }

    [Test]
    public void DistanceAndAddWrap()
    {
        Assert.That(UtpSequence.Distance(65530, 5), Is.EqualTo(11));
        Assert.That(UtpSequence.Distance(5, 65530), Is.EqualTo(65525));
        Assert.That(UtpSequence.Add(65535, 1), Is.EqualTo(0));
        Assert.That(UtpSequence.Add(0, -1), Is.EqualTo(65535));
    }
}
