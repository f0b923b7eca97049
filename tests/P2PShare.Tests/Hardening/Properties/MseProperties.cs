using System.Buffers.Binary;
using FsCheck;
using FsCheck.Fluent;
using P2PShare.Fuzz.Targets;
using P2PShare.Metainfo;
using P2PShare.Networking.Encryption;
using P2PShare.Tests.Support;

namespace P2PShare.Tests.Hardening.Properties;

/// <summary>
/// FsCheck on the MSE handshake: our initiator and responder agree (method, torrent, IA, payload both ways) for any
/// offer, policy and padding, and fail together when nothing is shared; the fields a scripted initiator (the fuzz
/// target's harness) sends are read back as sent, whatever the read sizes, and refused exactly when the BEP says so.
/// </summary>
[TestFixture]
public sealed class MseProperties
{
    private static readonly Gen<EncryptionMethod> Method = Gen.Elements(EncryptionMethod.Plaintext, EncryptionMethod.Rc4, EncryptionMethod.Rc4 | EncryptionMethod.Plaintext);

    private static EncryptionMethod? Expected(EncryptionMethod provide, EncryptionMethod allowed, bool preferPlaintext)
    {
        var shared = provide & allowed;
        if (shared == EncryptionMethod.None)
            return null;
        return preferPlaintext && shared.HasFlag(EncryptionMethod.Plaintext) ? EncryptionMethod.Plaintext
            : shared.HasFlag(EncryptionMethod.Rc4) ? EncryptionMethod.Rc4 : EncryptionMethod.Plaintext;
    }

    [Test, CancelAfter(120_000)]
    public void OurTwoSidesAgreeOnEveryOffer() => PropertyCheck.ForAll(
        Generators.Zip(Gen.Zip(Method, Method), Gen.Elements(true, false), Gen.Choose(0, MseOptions.MaxPadLength), Generators.Bytes(300), Gen.Choose(0, 5000)),
        c =>
        {
            var ((provide, allowed), preferPlaintext, pad, ia, payloadLength) = c;
            var expected = Expected(provide, allowed, preferPlaintext);
            return Task.Run(async () =>
            {
                using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(20));
                var options = new MseOptions { PadLength = pad, Random = new Random(pad), StepTimeout = TimeSpan.FromSeconds(10) };
                var (a, b) = InMemoryDuplexStream.CreatePair();
                var hash = new InfoHash(System.Security.Cryptography.SHA1.HashData(ia));
                var initiating = MseHandshake.InitiateAsync(a, hash, provide, ia, options, timeout.Token);
                MseResult incoming;
                try
                {
                    incoming = await MseHandshake.RespondAsync(b, () => [hash], allowed, options, timeout.Token, preferPlaintext);
                }
                catch (MseHandshakeException) when (expected is null)
                {
                    await b.DisposeAsync(); // the initiator then sees the connection close
                    Assert.ThrowsAsync<MseHandshakeException>(async () => await initiating);
                    return true;
                }
                var outgoing = await initiating;
                Assert.That(expected, Is.Not.Null, $"offer {provide}, allowed {allowed}: nothing shared, yet the handshake completed");
                Assert.That((outgoing.Method, incoming.Method), Is.EqualTo((expected!.Value, expected.Value)));
                Assert.That(incoming.InfoHash, Is.EqualTo(hash));
                Assert.That(incoming.InitialPayload.ToArray(), Is.EqualTo(ia));
                var payload = new byte[payloadLength];
                new Random(payloadLength).NextBytes(payload);
                await outgoing.Stream.WriteAsync(payload, timeout.Token);
                await incoming.Stream.WriteAsync(payload, timeout.Token);
                var there = new byte[payloadLength];
                var back = new byte[payloadLength];
                await incoming.Stream.ReadExactlyAsync(there, timeout.Token);
                await outgoing.Stream.ReadExactlyAsync(back, timeout.Token);
                Assert.That(there, Is.EqualTo(payload));
                Assert.That(back, Is.EqualTo(payload));
                return true;
            }).GetAwaiter().GetResult();
        }, tests: 40);

    [Test, CancelAfter(60_000)]
    public void AScriptedInitiatorsFieldsAreReadAsSentAndRefusedOnlyWhenTheBepSays() => PropertyCheck.ForAll(
        Generators.Zip(Gen.Zip(Gen.Elements(true, true, true, false), Gen.Choose(0, 4)), Gen.Choose(0, 700), Gen.Choose(0, 700), Generators.Bytes(200), Gen.Choose(1, 300)),
        c =>
        {
            var ((goodVc, provideBits), padA, padC, ia, chunk) = c;
            var plaintext = new byte[8 + 4 + 2 + padC + 2 + ia.Length];
            if (!goodVc)
                plaintext[3] = 1;
            BinaryPrimitives.WriteUInt32BigEndian(plaintext.AsSpan(8), (uint)provideBits);
            BinaryPrimitives.WriteUInt16BigEndian(plaintext.AsSpan(12), (ushort)padC);
            BinaryPrimitives.WriteUInt16BigEndian(plaintext.AsSpan(14 + padC), (ushort)ia.Length);
            ia.CopyTo(plaintext, 16 + padC);
            var script = MseFuzz.InitiatorScript(padA, 0, plaintext);
            var options = new MseOptions { KeyFactory = MseFuzz.OurKeys, StepTimeout = TimeSpan.FromSeconds(5) };
            var accepted = goodVc && padA <= MseOptions.MaxPadLength && padC <= MseOptions.MaxPadLength && (provideBits & 3) != 0;
            try
            {
                var result = MseHandshake.RespondAsync(new ScriptedStream(script, chunk), () => [MseFuzz.Torrent],
                    EncryptionMethod.Rc4 | EncryptionMethod.Plaintext, options).GetAwaiter().GetResult();
                Assert.That(accepted, $"accepted: VC ok {goodVc}, PadA {padA}, PadC {padC}, provide {provideBits}");
                Assert.That(result.InitialPayload.ToArray(), Is.EqualTo(ia));
                Assert.That(result.Method, Is.EqualTo((provideBits & 2) != 0 ? EncryptionMethod.Rc4 : EncryptionMethod.Plaintext));
            }
            catch (MseHandshakeException error)
            {
                Assert.That(accepted, Is.False, $"refused ({error.Message}): VC ok {goodVc}, PadA {padA}, PadC {padC}, provide {provideBits}");
            }
            return true;
        }, tests: 150);
}
