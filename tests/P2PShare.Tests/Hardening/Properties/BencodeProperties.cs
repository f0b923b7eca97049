using P2PShare.Bencode;

namespace P2PShare.Tests.Hardening.Properties;

/// <summary>FsCheck: bencode values survive encode → decode, and our encoding is canonical (decoding and encoding again gives the same bytes).</summary>
[TestFixture]
public sealed class BencodeProperties
{
    [Test]
    public void AnyValueRoundTrips() => PropertyCheck.ForAll(Generators.Bencode, value =>
    {
        var encoded = BencodeEncoder.Encode(value);
        var decoded = BencodeDecoder.Decode(encoded);
        return Generators.SameBencode(value, decoded) && BencodeEncoder.Encode(decoded).AsSpan().SequenceEqual(encoded);
    }, tests: 500);

    [Test]
    public void AValueFollowedByMoreBytesDecodesAsAPrefix() => PropertyCheck.ForAll(
        FsCheck.Fluent.Gen.Zip(Generators.Bencode, Generators.Bytes(16)), pair =>
        {
            var encoded = BencodeEncoder.Encode(pair.Item1);
            var decoded = BencodeDecoder.DecodePrefix((byte[])[.. encoded, .. pair.Item2], out var consumed);
            return consumed == encoded.Length && Generators.SameBencode(pair.Item1, decoded);
        });
}
