using System.Buffers;
using System.Text;
using P2PShare.Protocol.Native;
using P2PShare.Tests.Support;

namespace P2PShare.Tests.Native;

public class NativeCodecTests
{
    private static NativeParseOutcome Parse(string line, out NativeMessage? message, NativeCodecLimits? limits = null) =>
        NativeMessageReader.TryParse(new ReadOnlySequence<byte>(Encoding.UTF8.GetBytes(line)), limits ?? NativeCodecLimits.Default, out message, out _);

    [Test]
    public void Parses_the_original_handshake_with_unknown_fields_in_any_order()
    {
        var outcome = Parse("""{"port":6881,"fileHash":"ABCDEF0123456789abcdef0123456789abcdef01","type":"handshake","id":"ab12cd34ef56aa00","fileName":"video.mkv","fileSize":157286400,"pieceSize":65536,"extra":{"x":[1,2]}}""", out var message);
        Assert.That(outcome, Is.EqualTo(NativeParseOutcome.Message));
        var handshake = (NativeHandshake)message!;
        Assert.That(handshake.Id, Is.EqualTo("ab12cd34ef56aa00"));
        Assert.That(handshake.FileSize, Is.EqualTo(157286400));
        Assert.That(handshake.FileHash, Is.EqualTo("abcdef0123456789abcdef0123456789abcdef01"));
        Assert.That(handshake.Port, Is.EqualTo(6881));
        Assert.That(handshake.Extensions, Is.Zero);
    }

    [Test]
    public void Parses_a_leecher_handshake_with_nulls()
    {
        Parse("""{"type":"handshake","id":"3a1f88b5e2d4c0aa","fileName":"out.bin","fileSize":null,"fileHash":null,"pieceSize":65536,"port":6882}""", out var message);
        var handshake = (NativeHandshake)message!;
        Assert.That(handshake.FileSize, Is.Null);
        Assert.That(handshake.FileHash, Is.Null);
    }

    [Test]
    public void Round_trips_every_message_type()
    {
        NativeMessage[] messages =
        [
            new NativeHandshake("0011223344556677", "a \"b\".bin", 5, new string('a', 40), 5, 7000) { Extensions = 1, Tls = true, AuthNonce = "n1", PieceHashes = [new string('b', 40)] },
            new NativeBitfield([0, 1, 5]),
            new NativeRequest(3),
            new NativeHave(4),
            new NativeCancel(5),
            new NativeDontHave(6),
            new NativePeers([new NativePeerInfo("9bf0c1d2e3f4a5b6", "::ffff:127.0.0.1", 46892)]),
            NativeKeepAlive.Instance,
            new NativeAuth("proof"),
        ];
        using var writer = new NativeMessageWriter();
        foreach (var original in messages)
        {
            var buffer = new ArrayBufferWriter<byte>();
            writer.Write(buffer, original);
            Assert.That(buffer.WrittenSpan[^1], Is.EqualTo((byte)'\n'));
            Assert.That(buffer.WrittenSpan[..^1].IndexOf((byte)'\n'), Is.EqualTo(-1), "one line per message");
            var outcome = NativeMessageReader.TryParse(new ReadOnlySequence<byte>(buffer.WrittenMemory[..^1]), NativeCodecLimits.Default, out var parsed, out var error);
            Assert.That(outcome, Is.EqualTo(NativeParseOutcome.Message), error);
            Assert.That(Encoding.UTF8.GetString(Serialize(parsed!)), Is.EqualTo(Encoding.UTF8.GetString(buffer.WrittenSpan)));
        }
    }

    [Test]
    public void Piece_data_is_standard_padded_base64_and_decodes_into_the_same_bytes()
    {
        var data = new byte[] { 0xfb, 0xff, 0xfe, 0x00, 0x01 };
        var buffer = new ArrayBufferWriter<byte>();
        using (var writer = new NativeMessageWriter())
            writer.WritePiece(buffer, 2, data);
        var text = Encoding.UTF8.GetString(buffer.WrittenSpan);
        Assert.That(text, Is.EqualTo("{\"type\":\"piece\",\"index\":2,\"data\":\"" + Convert.ToBase64String(data) + "\"}\n"));
        Parse(text.TrimEnd('\n'), out var message);
        using var piece = (NativePiece)message!;
        Assert.That(piece.Data.ToArray(), SameBytes.As(data));
    }

    [Test]
    public void Escaped_base64_from_other_serializers_is_accepted()
    {
        Parse("""{"type":"piece","index":0,"data":"\/\/8="}""", out var message);
        using var piece = (NativePiece)message!;
        Assert.That(piece.Data.ToArray(), SameBytes.As(new byte[] { 0xff, 0xff }));
    }

    [TestCase("")]
    [TestCase("   ")]
    [TestCase("""{"type":"fancy-new-thing","x":1}""")]
    public void Blank_lines_and_unknown_types_are_ignored(string line) =>
        Assert.That(Parse(line, out _), Is.EqualTo(NativeParseOutcome.Ignored));

    [TestCase("not json")]
    [TestCase("{\"type\":\"request\"")]
    [TestCase("[1,2,3]")]
    [TestCase("""{"type":"request","index":-1}""")]
    [TestCase("""{"type":"request","index":"3"}""")]
    [TestCase("""{"type":"piece","index":1,"data":"!!!notbase64"}""")]
    [TestCase("""{"type":"handshake","id":"x","pieceSize":65536,"port":70000}""")]
    [TestCase("""{"type":"handshake","id":"x","pieceSize":999999999,"port":1}""")]
    [TestCase("""{"type":"handshake","id":"x","pieceSize":1,"port":1,"fileHash":"zz"}""")]
    [TestCase("""{"type":"bitfield","pieces":[1,"x"]}""")]
    [TestCase("""{"type":"bitfield","pieces":[99999999]}""")]
    [TestCase("""{"a":[[[[[[[[[[[[1]]]]]]]]]]]]}""")]
    public void Malformed_messages_are_invalid_not_exceptions(string line) =>
        Assert.That(Parse(line, out var message), Is.EqualTo(NativeParseOutcome.Invalid), () => $"parsed as {message}");

    [Test]
    public void Piece_data_longer_than_the_largest_piece_is_refused_before_decoding()
    {
        var limits = NativeCodecLimits.Default with { MaxPieceSize = 1024 };
        var data = Convert.ToBase64String(new byte[1025]);
        Assert.That(Parse($$"""{"type":"piece","index":0,"data":"{{data}}"}""", out _, limits), Is.EqualTo(NativeParseOutcome.Invalid));
        var fits = Convert.ToBase64String(new byte[1024]);
        Assert.That(Parse($$"""{"type":"piece","index":0,"data":"{{fits}}"}""", out var ok, limits), Is.EqualTo(NativeParseOutcome.Message));
        ((IDisposable)ok!).Dispose();
    }

    [Test]
    public void Peer_lists_are_capped_and_bad_entries_skipped()
    {
        var limits = NativeCodecLimits.Default with { MaxPeersPerMessage = 2 };
        Parse("""{"type":"peers","peers":[{"id":"a","host":"1.2.3.4","port":1},{"id":"b","host":"h","port":0},{"id":"c","host":"::1","port":3},{"id":"d","host":"::1","port":4}]}""", out var message, limits);
        Assert.That(((NativePeers)message!).Peers.Select(p => p.Id), Is.EqualTo(new[] { "a", "c" }));
    }

    [Test]
    public void Framer_splits_lines_strips_carriage_returns_and_waits_for_the_rest()
    {
        var buffer = new ReadOnlySequence<byte>(Encoding.UTF8.GetBytes("one\r\ntwo\nthr"));
        var framer = new NativeLineFramer(100);
        Assert.That(framer.TryReadLine(ref buffer, out var line), Is.EqualTo(NativeLineStatus.Line));
        Assert.That(Encoding.UTF8.GetString(line), Is.EqualTo("one"));
        Assert.That(framer.TryReadLine(ref buffer, out line), Is.EqualTo(NativeLineStatus.Line));
        Assert.That(Encoding.UTF8.GetString(line), Is.EqualTo("two"));
        Assert.That(framer.TryReadLine(ref buffer, out _), Is.EqualTo(NativeLineStatus.NeedMoreData));
        Assert.That(buffer.Length, Is.EqualTo(3));
    }

    [Test]
    public void Framer_reports_an_endless_line_once_it_passes_the_limit()
    {
        var buffer = new ReadOnlySequence<byte>(new byte[101]);
        Assert.That(new NativeLineFramer(100).TryReadLine(ref buffer, out _), Is.EqualTo(NativeLineStatus.TooLong));
        var exact = new ReadOnlySequence<byte>(new byte[100]);
        Assert.That(new NativeLineFramer(100).TryReadLine(ref exact, out _), Is.EqualTo(NativeLineStatus.NeedMoreData));
        var longLine = new ReadOnlySequence<byte>([.. new byte[101], (byte)'\n']);
        Assert.That(new NativeLineFramer(100).TryReadLine(ref longLine, out _), Is.EqualTo(NativeLineStatus.TooLong));
    }

    [Test]
    public void Framer_scans_a_line_arriving_in_small_reads_once_not_once_per_read()
    {
        // A 1 MiB line arriving 4 KiB at a time, then its newline and a second line, as a pipe presents it:
        // the unfinished line stays at the front and grows with each read.
        const int LineLength = 1 << 20, Read = 4096;
        var bytes = new byte[LineLength + 1 + 3];
        bytes.AsSpan(0, LineLength).Fill((byte)'x');
        bytes[LineLength] = (byte)'\n';
        "ab\n"u8.CopyTo(bytes.AsSpan(LineLength + 1));
        var framer = new NativeLineFramer(2 * LineLength);
        for (var received = Read; received < LineLength; received += Read)
        {
            var partial = new ReadOnlySequence<byte>(bytes, 0, received);
            Assert.That(framer.TryReadLine(ref partial, out _), Is.EqualTo(NativeLineStatus.NeedMoreData));
        }
        var whole = new ReadOnlySequence<byte>(bytes);
        Assert.That(framer.TryReadLine(ref whole, out var line), Is.EqualTo(NativeLineStatus.Line));
        Assert.That(line.Length, Is.EqualTo(LineLength));
        Assert.That(framer.TryReadLine(ref whole, out line), Is.EqualTo(NativeLineStatus.Line));
        Assert.That(Encoding.UTF8.GetString(line), Is.EqualTo("ab"));
        // Each byte searched once; rescanning from the start of the line each read would be about 128 MiB here.
        Assert.That(framer.BytesScanned, Is.EqualTo(bytes.Length));
    }

    [Test]
    public void Descriptor_refuses_huge_files_and_odd_piece_sizes()
    {
        var limits = NativeCodecLimits.Default;
        Assert.That(NativeFileDescriptor.IsAcceptable(long.MaxValue, 65536, limits, out _), Is.False);
        Assert.That(NativeFileDescriptor.IsAcceptable(1_000_000, 0, limits, out _), Is.False);
        Assert.That(NativeFileDescriptor.IsAcceptable(limits.MaxFileSize, 1, limits, out _), Is.False, "too many pieces");
        Assert.That(NativeFileDescriptor.IsAcceptable(157286400, 65536, limits, out _), Is.True);
    }

    [Test]
    public void Secret_proof_verifies_only_with_the_same_secret_nonce_and_id()
    {
        var proof = NativeSecretProof.Compute("s3cret", "nonce", "aaaa");
        Assert.That(NativeSecretProof.Verify("s3cret", "nonce", "aaaa", proof), Is.True);
        Assert.That(NativeSecretProof.Verify("other", "nonce", "aaaa", proof), Is.False);
        Assert.That(NativeSecretProof.Verify("s3cret", "nonce2", "aaaa", proof), Is.False);
        Assert.That(NativeSecretProof.Verify("s3cret", "nonce", "bbbb", proof), Is.False);
    }

    private static byte[] Serialize(NativeMessage message)
    {
        var buffer = new ArrayBufferWriter<byte>();
        using var writer = new NativeMessageWriter();
        writer.Write(buffer, message);
        return buffer.WrittenSpan.ToArray();
    }
}
