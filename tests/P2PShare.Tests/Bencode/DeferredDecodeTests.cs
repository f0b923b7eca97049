using System.Text;
using P2PShare.Bencode;

namespace P2PShare.Tests.Bencode;

/// <summary>
/// BencodeOptions.DeferredPath (issue #20: a torrent's 'files' list is checked but not built): the value at the path
/// comes back as its exact bytes, and any input is refused with the same error, at the same offset, as when every
/// value is built.
/// </summary>
[TestFixture]
public sealed class DeferredDecodeTests
{
    private static readonly BencodeOptions Deferred = new() { DeferredPath = ["info", "files"], MaxDepth = 8, MaxTokens = 200 };
    private static readonly BencodeOptions Built = Deferred with { DeferredPath = null };

    private static string Doc(string files) => $"d4:infod5:files{files}4:name1:xee";

    [Test]
    public void TheValueAtThePathIsLeftAsItsBytesAndTheRestIsBuilt()
    {
        const string files = "ld6:lengthi5e4:pathl1:a1:beed6:lengthi7e4:pathl1:ceee";
        var input = Encoding.ASCII.GetBytes(Doc(files) + "3:out");
        var root = (BDictionary)BencodeDecoder.DecodePrefix(input, out var consumed, Deferred);

        var info = (BDictionary)root["info"]!;
        var deferred = info["files"] as BDeferred;
        Assert.That(deferred, Is.Not.Null);
        Assert.That(Encoding.ASCII.GetString(deferred!.Raw.Span), Is.EqualTo(files));
        Assert.That(deferred.Offset, Is.EqualTo(Doc(files).IndexOf(files, StringComparison.Ordinal)));
        Assert.That(info.Get<BString>("name")?.Text, Is.EqualTo("x"));
        Assert.That(consumed, Is.EqualTo(Doc(files).Length));
        // Encoding the tree writes the deferred bytes back: the same document.
        Assert.That(Encoding.ASCII.GetString(BencodeEncoder.Encode(root)), Is.EqualTo(Doc(files)));
    }

    [Test]
    public void OnlyThatPathIsDeferred()
    {
        // 'files' at the top, under another key, or in a list is built as usual.
        var root = (BDictionary)BencodeDecoder.Decode(Encoding.ASCII.GetBytes("d5:filesli1ee4:infod1:xd5:filesli2eeee4:listld5:filesli3eeeee"), Deferred);
        Assert.That(root["files"], Is.InstanceOf<BList>());
        Assert.That(((BDictionary)((BDictionary)root["info"]!)["x"]!)["files"], Is.InstanceOf<BList>());
        Assert.That(((BDictionary)((BList)root["list"]!)[0])["files"], Is.InstanceOf<BList>());
    }

    [TestCase("ld6:lengthi5e6:lengthi6ee")]            // duplicate key, found after its value
    [TestCase("ld1:ai1e1:bi2e1:ci3e1:di4e1:ei5e1:fi6e1:gi7e1:hi8e1:ii9e1:ai0eee")] // duplicate beyond the few-keys scan
    [TestCase("ld1:ai1e1:ai1x")]                        // duplicate key whose value is broken: the value's error first
    [TestCase("li01ee")]                                // leading zero
    [TestCase("li-0ee")]
    [TestCase("li99999999999999999999ee")]              // does not fit in 64 bits
    [TestCase("l5:abce")]                               // string runs past the end
    [TestCase("l-1:ae")]                                // negative length
    [TestCase("ldi1ei2eee")]                            // key that is not a string
    [TestCase("ld1:aee")]                               // key without a value
    [TestCase("ld1:a")]                                 // truncated
    [TestCase("l")]
    [TestCase("lxe")]                                   // not a value
    [TestCase("llllllllllllllllleeeeeeeeeeeeeeeeeee")]   // deeper than MaxDepth
    public void MalformedInputGivesTheSameErrorBuiltOrNot(string files)
    {
        var input = Encoding.ASCII.GetBytes(Doc(files));
        var built = Assert.Throws<BencodeException>(() => BencodeDecoder.Decode(input, Built));
        var deferred = Assert.Throws<BencodeException>(() => BencodeDecoder.Decode(input, Deferred));
        TestContext.Out.WriteLine(built!.Message);
        Assert.That(deferred!.Message, Is.EqualTo(built.Message));
        Assert.That(deferred.ByteOffset, Is.EqualTo(built.ByteOffset));
    }

    [Test]
    public void TheTokenLimitCountsDeferredValuesToo()
    {
        var files = "l" + string.Concat(Enumerable.Repeat("i1e", 250)) + "e";
        var input = Encoding.ASCII.GetBytes(Doc(files));
        var built = Assert.Throws<BencodeException>(() => BencodeDecoder.Decode(input, Built));
        var deferred = Assert.Throws<BencodeException>(() => BencodeDecoder.Decode(input, Deferred));
        Assert.That(deferred!.Message, Is.EqualTo(built!.Message).And.Contain("more than 200 values"));
    }

    [Test]
    public void UnsortedKeysAreRefusedTheSameWayWhenSortingIsRequired()
    {
        var input = Encoding.ASCII.GetBytes(Doc("ld4:pathle6:lengthi1eee"));
        var built = Assert.Throws<BencodeException>(() => BencodeDecoder.Decode(input, Built with { RequireSortedKeys = true }));
        var deferred = Assert.Throws<BencodeException>(() => BencodeDecoder.Decode(input, Deferred with { RequireSortedKeys = true }));
        Assert.That(deferred!.Message, Is.EqualTo(built!.Message).And.Contain("out of order"));
        Assert.DoesNotThrow(() => BencodeDecoder.Decode(input, Deferred));
    }

    [Test]
    public void TheSpanReaderWalksWhatTheDecoderAccepted()
    {
        var bytes = Encoding.ASCII.GetBytes("ld6:lengthi-42e4:pathl1:a2:bceel3:xyzee");
        var reader = new BencodeSpanReader(bytes);
        reader.Enter();
        Assert.That(reader.Peek(), Is.EqualTo('d'));
        reader.Enter();
        Assert.That(Encoding.ASCII.GetString(reader.ReadString()), Is.EqualTo("length"));
        Assert.That(reader.ReadInteger(), Is.EqualTo(-42));
        Assert.That(Encoding.ASCII.GetString(reader.ReadString()), Is.EqualTo("path"));
        reader.Skip();
        Assert.That(reader.TryReadEnd(), Is.True);
        reader.Skip();
        Assert.That(reader.TryReadEnd(), Is.True);
        Assert.That(reader.Position, Is.EqualTo(bytes.Length));
    }

    [TestCase("l")]
    [TestCase("l5:ab")]
    [TestCase("li12")]
    [TestCase("lx")]
    public void TheSpanReaderThrowsOnBrokenInputInsteadOfReadingPastIt(string text)
    {
        Assert.Throws<BencodeException>(() =>
        {
            var reader = new BencodeSpanReader(Encoding.ASCII.GetBytes(text));
            reader.Skip();
        });
    }
}
