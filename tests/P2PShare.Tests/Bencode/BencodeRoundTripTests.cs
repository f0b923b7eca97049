using System.Text;
using P2PShare.Bencode;

namespace P2PShare.Tests.Bencode;

[TestFixture]
public sealed class BencodeRoundTripTests
{
    [TestCase("i0e")]
    [TestCase("i-1e")]
    [TestCase("i9223372036854775807e")]
    [TestCase("i-9223372036854775808e")]
    [TestCase("0:")]
    [TestCase("4:spam")]
    [TestCase("le")]
    [TestCase("de")]
    [TestCase("l4:spami42ee")]
    [TestCase("d3:bar4:spam3:fooi42ee")]
    [TestCase("d1:ald1:bleee1:cdee")]
    public void CanonicalInputRoundTripsByteForByte(string text)
    {
        var input = Encoding.ASCII.GetBytes(text);
        var value = BencodeDecoder.Decode(input);
        Assert.That(BencodeEncoder.Encode(value), Is.EqualTo(input));
        Assert.That(value.Raw.ToArray(), Is.EqualTo(input));
    }

    [Test]
    public void IntegerExtremesDecode()
    {
        Assert.That(((BInteger)BencodeDecoder.Decode("i-9223372036854775808e"u8.ToArray())).Value, Is.EqualTo(long.MinValue));
        Assert.That(((BInteger)BencodeDecoder.Decode("i9223372036854775807e"u8.ToArray())).Value, Is.EqualTo(long.MaxValue));
    }

    [Test]
    public void EncoderSortsKeysByRawBytes()
    {
        var dictionary = new BDictionary { ["b"] = new BInteger(1), ["a"] = new BInteger(2), ["B"] = new BInteger(3) };
        dictionary.Set(new BString(new byte[] { 0xff }), new BInteger(4));
        Assert.That(Encoding.Latin1.GetString(BencodeEncoder.Encode(dictionary)), Is.EqualTo("d1:Bi3e1:ai2e1:bi1e1:\xffi4ee"));
    }

    [Test]
    public void RawKeepsUnsortedOriginalBytesOfNestedValues()
    {
        var input = "d4:infod1:bi1e1:ai2eee"u8.ToArray();
        var top = (BDictionary)BencodeDecoder.Decode(input);
        var info = top["info"]!;
        Assert.That(Encoding.ASCII.GetString(info.Raw.Span), Is.EqualTo("d1:bi1e1:ai2ee"));
        Assert.That(info.Offset, Is.EqualTo(7));
        Assert.That(Encoding.ASCII.GetString(BencodeEncoder.Encode(info)), Is.EqualTo("d1:ai2e1:bi1ee"));
    }

    [Test]
    public void DecodePrefixLeavesTheRest()
    {
        var value = BencodeDecoder.DecodePrefix("i5eXYZ"u8.ToArray(), out var consumed);
        Assert.That(((BInteger)value).Value, Is.EqualTo(5));
        Assert.That(consumed, Is.EqualTo(3));
    }

    [Test]
    public void BinaryStringsSurvive()
    {
        var bytes = Enumerable.Range(0, 256).Select(i => (byte)i).ToArray();
        var encoded = BencodeEncoder.Encode(new BString(bytes));
        Assert.That(((BString)BencodeDecoder.Decode(encoded)).Bytes.ToArray(), Is.EqualTo(bytes));
    }

    [TestCase(1)]
    [TestCase(2)]
    [TestCase(3)]
    [TestCase(42)]
    [TestCase(20240601)]
    public void RandomStructuresRoundTrip(int seed)
    {
        var random = new Random(seed);
        for (var round = 0; round < 200; round++)
        {
            var original = Generate(random, depth: 0);
            var encoded = BencodeEncoder.Encode(original);
            var decoded = BencodeDecoder.Decode(encoded, new BencodeOptions { RequireSortedKeys = true });
            Assert.That(Describe(decoded), Is.EqualTo(Describe(original)), $"seed {seed} round {round}");
            Assert.That(BencodeEncoder.Encode(decoded), Is.EqualTo(encoded));
            Assert.That(decoded.Raw.ToArray(), Is.EqualTo(encoded));
        }
    }

    private static BValue Generate(Random random, int depth)
    {
        var kind = depth >= 6 ? random.Next(2) : random.Next(4);
        switch (kind)
        {
            case 0:
                return new BInteger(random.Next(5) switch
                {
                    0 => 0,
                    1 => long.MinValue,
                    2 => long.MaxValue,
                    _ => random.NextInt64(long.MinValue, long.MaxValue),
                });
            case 1:
                var bytes = new byte[random.Next(3) == 0 ? 0 : random.Next(1, 64)];
                random.NextBytes(bytes);
                return new BString(bytes);
            case 2:
                var list = new BList();
                for (var i = random.Next(6); i > 0; i--)
                    list.Add(Generate(random, depth + 1));
                return list;
            default:
                var dictionary = new BDictionary();
                for (var i = random.Next(6); i > 0; i--)
                {
                    var key = new byte[random.Next(0, 8)];
                    random.NextBytes(key);
                    dictionary.Set(new BString(key), Generate(random, depth + 1));
                }
                return dictionary;
        }
    }

    /// <summary>A structural description independent of Raw/Offset, to compare trees.</summary>
    private static string Describe(BValue value) => value switch
    {
        BInteger i => $"i{i.Value}",
        BString s => $"s{Convert.ToHexString(s.Span)}",
        BList l => "[" + string.Join(",", l.Select(Describe)) + "]",
        BDictionary d => "{" + string.Join(",", d.Sorted().Select(p => $"{Convert.ToHexString(p.Key.Span)}:{Describe(p.Value)}")) + "}",
        _ => throw new ArgumentException("unknown value"),
    };
}
