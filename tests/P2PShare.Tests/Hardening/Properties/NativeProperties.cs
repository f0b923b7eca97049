using System.Buffers;
using System.Text;
using FsCheck;
using FsCheck.Fluent;
using P2PShare.Protocol.Native;

namespace P2PShare.Tests.Hardening.Properties;

/// <summary>FsCheck: native-protocol JSON messages survive write → frame → parse, and pieces keep their bytes.</summary>
[TestFixture]
public sealed class NativeProperties
{
    private static Gen<string> Hex { get; } =
        Gen.Choose(1, 32).SelectMany(length => Gen.ArrayOf(Gen.Elements("0123456789abcdef".ToCharArray()), length)).Select(chars => new string(chars));

    private static Gen<int> Index { get; } = Gen.Choose(0, (1 << 20) - 1);

    private static Gen<NativeMessage> Message { get; } = Gen.OneOf(
        Index.Select(i => (NativeMessage)new NativeHave(i)),
        Index.Select(i => (NativeMessage)new NativeRequest(i)),
        Index.Select(i => (NativeMessage)new NativeCancel(i)),
        Index.Select(i => (NativeMessage)new NativeDontHave(i)),
        Generators.ListOf(Index, 50).Select(pieces => (NativeMessage)new NativeBitfield(pieces.Distinct().Order().ToArray())),
        Generators.ListOf(Generators.Zip(Hex, Gen.OneOf(Generators.IPv4EndPoint, Generators.IPv6EndPoint), Generators.Port)
            .Select(f => new NativePeerInfo(f.Item1, f.Item2.Address.ToString(), f.Item3)), 20).Select(peers => (NativeMessage)new NativePeers(peers)),
        Generators.Text(128).Where(proof => proof.Length > 0).Select(proof => (NativeMessage)new NativeAuth(proof)), // the reader takes 1 to 128 characters,
        Gen.Constant((NativeMessage)NativeKeepAlive.Instance));

    [Test]
    public void MessagesRoundTripThroughTheLineFramer() => PropertyCheck.ForAll(Gen.ArrayOf(Message), messages =>
    {
        using var writer = new NativeMessageWriter();
        var output = new ArrayBufferWriter<byte>();
        foreach (var message in messages)
            writer.Write(output, message);
        var buffer = new ReadOnlySequence<byte>(output.WrittenMemory);
        var parsed = new List<NativeMessage>();
        var framer = new NativeLineFramer(NativeCodecLimits.Default.MaxLineLength);
        while (framer.TryReadLine(ref buffer, out var line) == NativeLineStatus.Line)
        {
            Assert.That(NativeMessageReader.TryParse(line, NativeCodecLimits.Default, out var message, out var error), Is.EqualTo(NativeParseOutcome.Message), error);
            parsed.Add(message!);
        }
        Assert.That(parsed.Select(Serialize), Is.EqualTo(messages.Select(Serialize)));
        return buffer.IsEmpty;
    });

    [Test]
    public void PiecesKeepTheirBytes() => PropertyCheck.ForAll(Generators.Zip(Index, Generators.Bytes(4096), Gen.Constant(0)), fields =>
    {
        var (index, data, _) = fields;
        var output = new ArrayBufferWriter<byte>();
        using (var writer = new NativeMessageWriter())
            writer.WritePiece(output, index, data);
        var line = new ReadOnlySequence<byte>(output.WrittenMemory[..^1]);
        Assert.That(NativeMessageReader.TryParse(line, NativeCodecLimits.Default, out var message, out var error), Is.EqualTo(NativeParseOutcome.Message), error);
        using var piece = (NativePiece)message!;
        return piece.Index == index && piece.Data.SequenceEqual(data);
    });

    /// <summary>Records with lists compare by reference; their JSON line is the value to compare.</summary>
    private static string Serialize(NativeMessage message)
    {
        var output = new ArrayBufferWriter<byte>();
        using var writer = new NativeMessageWriter();
        writer.Write(output, message);
        return Encoding.UTF8.GetString(output.WrittenSpan);
    }
}
