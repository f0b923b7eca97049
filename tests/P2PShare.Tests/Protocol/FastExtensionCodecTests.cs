using System.Buffers;
using System.Net;
using P2PShare.Metainfo;
using P2PShare.Protocol.Wire;

namespace P2PShare.Tests.Protocol;

/// <summary>BEP 6 (Fast extension): the five messages, the reserved bit and the allowed-fast set.</summary>
public class FastExtensionCodecTests
{
    private static readonly FrameLimits Limits = new(PieceCount: 20);

    [Test]
    public void Fast_messages_are_written_with_the_BEP_ids_and_read_back_with_their_fields()
    {
        var buffer = new byte[256];
        var used = 0;
        used += MessageWriter.WriteSuggestPiece(buffer.AsSpan(used), 5);
        used += MessageWriter.WriteHaveAll(buffer.AsSpan(used));
        used += MessageWriter.WriteHaveNone(buffer.AsSpan(used));
        used += MessageWriter.WriteRejectRequest(buffer.AsSpan(used), 3, 16384, 16384);
        used += MessageWriter.WriteAllowedFast(buffer.AsSpan(used), 19);

        Assert.That(Convert.ToHexStringLower(buffer, 0, used), Is.EqualTo(
            "00000005" + "0d" + "00000005" +
            "00000001" + "0e" +
            "00000001" + "0f" +
            "0000000d" + "10" + "00000003" + "00004000" + "00004000" +
            "00000005" + "11" + "00000013"));

        var sequence = new ReadOnlySequence<byte>(buffer, 0, used);
        var messages = new List<PeerMessage>();
        while (MessageReader.TryRead(ref sequence, Limits, out var message))
            messages.Add(message);
        Assert.That(messages.Select(m => m.ToString()), Is.EqualTo(new[]
        {
            "SuggestPiece 5", "HaveAll", "HaveNone", "RejectRequest 3:16384+16384", "AllowedFast 19",
        }));
        Assert.That((messages[3].Index, messages[3].Begin, messages[3].Length), Is.EqualTo((3, 16384, 16384)));
        Assert.That(sequence.Length, Is.Zero);
    }

    [TestCase(new byte[] { 0, 0, 0, 2, 0x0E, 0 }, "haveall message with invalid length 2")]
    [TestCase(new byte[] { 0, 0, 0, 2, 0x0F, 0 }, "havenone message with invalid length 2")]
    [TestCase(new byte[] { 0, 0, 0, 9, 0x0D }, "suggestpiece message with invalid length 9")]
    [TestCase(new byte[] { 0, 0, 0, 1, 0x11 }, "allowedfast message with invalid length 1")]
    [TestCase(new byte[] { 0, 0, 0, 12, 0x10 }, "rejectrequest message with invalid length 12")]
    [TestCase(new byte[] { 0, 1, 0, 0, 0x10 }, "rejectrequest message with invalid length 65536")]
    public void Wrongly_sized_fast_messages_are_refused(byte[] bytes, string problem)
    {
        var sequence = new ReadOnlySequence<byte>(bytes);
        var error = Assert.Throws<PeerProtocolException>(() => MessageReader.TryRead(ref sequence, Limits, out _));
        Assert.That(error!.Message, Is.EqualTo(problem));
    }

    [Test]
    public void The_fast_bit_is_0x04_of_the_last_reserved_byte()
    {
        var hash = new InfoHash(new byte[20]);
        var bytes = new byte[Handshake.Size];
        new Handshake(Handshake.FastExtensionBit | Handshake.ExtensionProtocolBit, hash, new PeerId(new byte[20])).WriteTo(bytes);
        Assert.That(Convert.ToHexStringLower(bytes, 20, 8), Is.EqualTo("0000000000100004"));
        Assert.That(Handshake.Parse(bytes).SupportsFastExtension, Is.True);
        bytes[27] = 0;
        Assert.That(Handshake.Parse(bytes).SupportsFastExtension, Is.False);
    }

    // BEP 6's example: 1313 pieces, info-hash 0xAA × 20, peer 80.4.4.200.
    [TestCase(7, new[] { 1059, 431, 808, 1217, 287, 376, 1188 })]
    [TestCase(9, new[] { 1059, 431, 808, 1217, 287, 376, 1188, 353, 508 })]
    public void Allowed_fast_set_matches_the_BEP_6_vectors(int count, int[] expected)
    {
        var hash = Enumerable.Repeat((byte)0xAA, 20).ToArray();
        Assert.That(AllowedFastSet.Generate(IPAddress.Parse("80.4.4.200"), hash, 1313, count), Is.EqualTo(expected));
    }

    [Test]
    public void Allowed_fast_set_depends_on_the_slash_24_only_and_handles_small_torrents()
    {
        var hash = Enumerable.Repeat((byte)0xAA, 20).ToArray();
        Assert.Multiple(() =>
        {
            Assert.That(AllowedFastSet.Generate(IPAddress.Parse("80.4.4.1"), hash, 1313, 7),
                Is.EqualTo(AllowedFastSet.Generate(IPAddress.Parse("80.4.4.200"), hash, 1313, 7)));
            Assert.That(AllowedFastSet.Generate(IPAddress.Parse("::ffff:80.4.4.200"), hash, 1313, 7),
                Is.EqualTo(new[] { 1059, 431, 808, 1217, 287, 376, 1188 }));
            Assert.That(AllowedFastSet.Generate(IPAddress.Parse("80.4.5.200"), hash, 1313, 7),
                Is.Not.EqualTo(AllowedFastSet.Generate(IPAddress.Parse("80.4.4.200"), hash, 1313, 7)));
            Assert.That(AllowedFastSet.Generate(IPAddress.Parse("80.4.4.200"), hash, 3, 10), Is.EquivalentTo(new[] { 0, 1, 2 }));
            Assert.That(AllowedFastSet.Generate(IPAddress.Parse("80.4.4.200"), hash, 0, 10), Is.Empty);
            Assert.That(AllowedFastSet.Generate(IPAddress.Parse("2001:db8::1"), hash, 1313, 10), Is.Empty);
        });
    }
}
