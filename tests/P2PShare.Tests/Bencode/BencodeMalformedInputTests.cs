using System.Text;
using P2PShare.Bencode;

namespace P2PShare.Tests.Bencode;

[TestFixture]
public sealed class BencodeMalformedInputTests
{
    private static IEnumerable<TestCaseData> Malformed()
    {
        TestCaseData Case(string input, string problem, int offset) =>
            new TestCaseData(Encoding.Latin1.GetBytes(input), problem, offset)
                .SetName($"Malformed {Describe(input)}");

        yield return Case("", "unexpected end of input, a value was expected", 0);
        yield return Case("e", "unexpected byte 0x65, a value was expected", 0);
        yield return Case("x", "unexpected byte 0x78, a value was expected", 0);
        yield return Case(":abc", "unexpected byte 0x3a, a value was expected", 0);
        yield return Case("-3:abc", "unexpected byte 0x2d, a value was expected", 0);
        // integers
        yield return Case("i01e", "number has a leading zero", 1);
        yield return Case("i00e", "number has a leading zero", 1);
        yield return Case("i-01e", "number has a leading zero", 1);
        yield return Case("i-0e", "negative zero is not allowed", 1);
        yield return Case("ie", "number has no digits", 1);
        yield return Case("i-e", "number has no digits", 1);
        yield return Case("i", "integer is missing its closing 'e'", 1);
        yield return Case("i12", "integer is missing its closing 'e'", 1);
        yield return Case("i1x2e", "unexpected byte 0x78 in a number", 2);
        yield return Case("i+1e", "unexpected byte 0x2b in a number", 1);
        yield return Case("i 1e", "unexpected byte 0x20 in a number", 1);
        yield return Case("i1.5e", "unexpected byte 0x2e in a number", 2);
        yield return Case("i9223372036854775808e", "number does not fit in 64 bits", 1);
        yield return Case("i-9223372036854775809e", "number does not fit in 64 bits", 1);
        yield return Case("i99999999999999999999e", "number does not fit in 64 bits", 1);
        // strings
        yield return Case("5:abc", "string length 5 runs past the end of input (3 byte(s) left)", 0);
        yield return Case("1:", "string length 1 runs past the end of input (0 byte(s) left)", 0);
        yield return Case("999999999:", "string length 999999999 runs past the end of input (0 byte(s) left)", 0);
        yield return Case("99999999999999999999:x", "number does not fit in 64 bits", 0);
        yield return Case("03:abc", "number has a leading zero", 0);
        yield return Case("3abc", "string length is missing its ':'", 0);
        yield return Case("3x:abc", "unexpected byte 0x78 in a number", 1);
        // lists
        yield return Case("l", "list is missing its closing 'e'", 1);
        yield return Case("li1e", "list is missing its closing 'e'", 4);
        yield return Case("l1:a", "list is missing its closing 'e'", 4);
        yield return Case("li1e5:ab", "string length 5 runs past the end of input (2 byte(s) left)", 4);
        // dictionaries
        yield return Case("d", "dictionary is missing its closing 'e'", 1);
        yield return Case("d1:ai1e", "dictionary is missing its closing 'e'", 7);
        yield return Case("d3:key", "dictionary key 'key' has no value", 6);
        yield return Case("d1:ae", "unexpected byte 0x65, a value was expected", 4);
        yield return Case("di1ei2ee", "dictionary key must be a string, found byte 0x69", 1);
        yield return Case("dlei1ee", "dictionary key must be a string, found byte 0x6c", 1);
        yield return Case("dd1:aee1:be", "dictionary key must be a string, found byte 0x64", 1);
        yield return Case("d1:ai1e1:ai2ee", "duplicate dictionary key 'a'", 7);
        yield return Case("d1:ai1e1:bi2e1:ai3ee", "duplicate dictionary key 'a'", 13);
        // trailing bytes
        yield return Case("i1ei2e", "3 trailing byte(s) after the value", 3);
        yield return Case("0:0:", "2 trailing byte(s) after the value", 2);
        yield return Case("lee", "1 trailing byte(s) after the value", 2);
        yield return Case("de\n", "1 trailing byte(s) after the value", 2);
        // depth
        yield return Case(new string('l', 257) + new string('e', 257), "nesting deeper than 256 levels", 256);
        yield return Case(new string('l', 100_000), "nesting deeper than 256 levels", 256);
        yield return Case(string.Concat(Enumerable.Repeat("d1:a", 300)), "nesting deeper than 256 levels", 4 * 256);
    }

    private static string Describe(string input)
    {
        var shown = input.Length > 24 ? input[..12] + $"…({input.Length} bytes)" : input;
        return "\"" + shown.Replace("\n", "\\n") + "\"";
    }

    [TestCaseSource(nameof(Malformed))]
    public void IsRefusedWithProblemAndOffset(byte[] input, string problem, int offset)
    {
        var error = Assert.Throws<BencodeException>(() => BencodeDecoder.Decode(input));
        Assert.Multiple(() =>
        {
            Assert.That(error!.Problem, Is.EqualTo(problem));
            Assert.That(error.ByteOffset, Is.EqualTo(offset));
            Assert.That(error.Message, Is.EqualTo($"invalid bencode at byte {offset}: {problem}"));
        });
    }

    [Test]
    public void MalformedTableHasAtLeastThirtyCases() => Assert.That(Malformed().Count(), Is.GreaterThanOrEqualTo(30));

    [Test]
    public void ExactlyMaxDepthIsAccepted()
    {
        var input = Encoding.ASCII.GetBytes(new string('l', 256) + new string('e', 256));
        Assert.That(BencodeDecoder.Decode(input), Is.InstanceOf<BList>());
    }

    [Test]
    public void HugeLengthPrefixDoesNotAllocate()
    {
        var input = Encoding.ASCII.GetBytes("999999999:" + new string('x', 100));
        Assert.Throws<BencodeException>(() => BencodeDecoder.Decode(input)); // warm up (JIT, resources)
        var before = GC.GetAllocatedBytesForCurrentThread();
        Assert.Throws<BencodeException>(() => BencodeDecoder.Decode(input));
        var allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        Assert.That(allocated, Is.LessThan(64 * 1024), "a length prefix alone must not cause an allocation of that size");
    }

    [Test]
    public void UnsortedKeysAreRefusedOnlyWhenRequired()
    {
        var input = Encoding.ASCII.GetBytes("d1:bi1e1:ai2ee");
        Assert.That(BencodeDecoder.Decode(input), Is.InstanceOf<BDictionary>());
        var error = Assert.Throws<BencodeException>(() => BencodeDecoder.Decode(input, new BencodeOptions { RequireSortedKeys = true }));
        Assert.That(error!.Problem, Is.EqualTo("dictionary key 'a' is out of order"));
        Assert.That(error.ByteOffset, Is.EqualTo(7));
    }

    [Test]
    public void StreamLargerThanLimitIsRefused()
    {
        using var stream = new MemoryStream(new byte[1000]);
        var error = Assert.ThrowsAsync<BencodeException>(() => BencodeDecoder.DecodeAsync(stream, 100, CancellationToken.None));
        Assert.That(error!.Problem, Is.EqualTo("input is larger than the limit of 100 bytes"));
    }
}
