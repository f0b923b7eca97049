using P2PShare.Networking.Encryption;
using P2PShare.Tests.Support;
using static P2PShare.Tests.Encryption.MseTestData;

namespace P2PShare.Tests.Encryption;

[CancelAfter(20_000)]
public class MseHandshakeTests
{
    [Test]
    public async Task Rc4_handshake_completes_both_ways_hands_over_IA_and_carries_data(CancellationToken ct)
    {
        var (a, b) = InMemoryDuplexStream.CreatePair();
        var hash = Hash(1);
        var ia = BitTorrentHandshake(hash);
        var initiator = MseHandshake.InitiateAsync(a, hash, EncryptionMethod.Rc4, ia, Fast, ct);
        var responder = MseHandshake.RespondAsync(b, () => [hash], EncryptionMethod.Rc4 | EncryptionMethod.Plaintext, Fast, ct);
        var (outgoing, incoming) = (await initiator, await responder);

        Assert.Multiple(() =>
        {
            Assert.That(outgoing.Method, Is.EqualTo(EncryptionMethod.Rc4));
            Assert.That(incoming.Method, Is.EqualTo(EncryptionMethod.Rc4));
            Assert.That(incoming.InfoHash, Is.EqualTo(hash));
            Assert.That(incoming.InitialPayload.ToArray(), Is.EqualTo(ia));
            Assert.That(outgoing.Stream, Is.TypeOf<Rc4Stream>());
            Assert.That(incoming.Stream, Is.TypeOf<Rc4Stream>());
        });
        await TransferAsync(outgoing.Stream, incoming.Stream, 1 << 20, seed: 1, ct);
        await TransferAsync(incoming.Stream, outgoing.Stream, 300_001, seed: 2, ct);
    }

    [Test]
    public async Task Encrypted_payload_on_the_wire_is_not_the_plaintext(CancellationToken ct)
    {
        var (a, b) = InMemoryDuplexStream.CreatePair();
        var hash = Hash(1);
        var initiator = MseHandshake.InitiateAsync(a, hash, EncryptionMethod.Rc4, default, Unpadded, ct);
        var incoming = await MseHandshake.RespondAsync(b, () => [hash], EncryptionMethod.Rc4, Unpadded, ct);
        var outgoing = await initiator;

        var message = "a BitTorrent message in the clear"u8.ToArray();
        await incoming.Stream.WriteAsync(message, ct);
        var raw = new byte[message.Length];
        await a.ReadExactlyAsync(raw, ct); // below the initiator's Rc4Stream: what travelled
        Assert.That(raw, Is.Not.EqualTo(message));
        Assert.That(outgoing.Method, Is.EqualTo(EncryptionMethod.Rc4));
    }

    [Test]
    public async Task Plaintext_selection_leaves_the_payload_in_the_clear(CancellationToken ct)
    {
        var (a, b) = InMemoryDuplexStream.CreatePair();
        var hash = Hash(2);
        var initiator = MseHandshake.InitiateAsync(a, hash, EncryptionMethod.Plaintext, BitTorrentHandshake(hash), Fast, ct);
        var incoming = await MseHandshake.RespondAsync(b, () => [hash], EncryptionMethod.Rc4 | EncryptionMethod.Plaintext, Fast, ct);
        var outgoing = await initiator;

        Assert.That(outgoing.Method, Is.EqualTo(EncryptionMethod.Plaintext));
        Assert.That(incoming.Method, Is.EqualTo(EncryptionMethod.Plaintext));
        Assert.That(outgoing.Stream, Is.Not.TypeOf<Rc4Stream>());
        Assert.That(incoming.InitialPayload.ToArray(), Is.EqualTo(BitTorrentHandshake(hash)), "IA is RC4-encrypted even in plaintext mode");
        await TransferAsync(outgoing.Stream, incoming.Stream, 100_000, seed: 3, ct);
        await TransferAsync(incoming.Stream, outgoing.Stream, 100_000, seed: 4, ct);
    }

    [Test]
    public async Task Responder_selects_rc4_when_both_are_offered(CancellationToken ct)
    {
        var (a, b) = InMemoryDuplexStream.CreatePair();
        var hash = Hash(3);
        var initiator = MseHandshake.InitiateAsync(a, hash, EncryptionMethod.Rc4 | EncryptionMethod.Plaintext, default, Fast, ct);
        var incoming = await MseHandshake.RespondAsync(b, () => [hash], EncryptionMethod.Rc4 | EncryptionMethod.Plaintext, Fast, ct);
        Assert.That((await initiator).Method, Is.EqualTo(EncryptionMethod.Rc4));
        Assert.That(incoming.Method, Is.EqualTo(EncryptionMethod.Rc4));
    }

    [Test]
    public async Task Responder_finds_the_torrent_among_several_info_hashes(CancellationToken ct)
    {
        var hashes = Enumerable.Range(10, 5).Select(Hash).ToArray();
        foreach (var wanted in hashes)
        {
            var (a, b) = InMemoryDuplexStream.CreatePair();
            var initiator = MseHandshake.InitiateAsync(a, wanted, EncryptionMethod.Rc4, BitTorrentHandshake(wanted), Fast, ct);
            var incoming = await MseHandshake.RespondAsync(b, () => hashes, EncryptionMethod.Rc4, Fast, ct);
            await initiator;
            Assert.That(incoming.InfoHash, Is.EqualTo(wanted));
            await TransferAsync(incoming.Stream, (await initiator).Stream, 20_000, seed: 5, ct);
        }
    }

    [Test]
    public async Task Unknown_info_hash_is_refused_and_the_initiator_sees_the_connection_end(CancellationToken ct)
    {
        var (a, b) = InMemoryDuplexStream.CreatePair();
        var initiator = MseHandshake.InitiateAsync(a, Hash(99), EncryptionMethod.Rc4, default, Fast, ct);
        var refusal = Assert.ThrowsAsync<MseHandshakeException>(() => MseHandshake.RespondAsync(b, () => [Hash(1), Hash(2)], EncryptionMethod.Rc4, Fast, ct));
        Assert.That(refusal!.Message, Does.Contain("torrent we do not have"));
        await b.DisposeAsync();
        var failure = Assert.ThrowsAsync<MseHandshakeException>(() => initiator);
        Assert.That(failure!.Message, Does.Contain("closed"));
    }

    [Test]
    public async Task Responder_that_allows_only_rc4_refuses_a_plaintext_only_offer(CancellationToken ct)
    {
        var (a, b) = InMemoryDuplexStream.CreatePair();
        var hash = Hash(4);
        _ = MseHandshake.InitiateAsync(a, hash, EncryptionMethod.Plaintext, default, Fast, ct);
        var refusal = Assert.ThrowsAsync<MseHandshakeException>(() => MseHandshake.RespondAsync(b, () => [hash], EncryptionMethod.Rc4, Fast, ct));
        Assert.That(refusal!.Message, Does.Contain("offers crypto 0x1"));
        await a.DisposeAsync();
        await b.DisposeAsync();
    }

    [Test]
    public void Random_padding_stays_within_the_limit_and_varies()
    {
        // Ya + PadA as written: 96..608 bytes, and not always the same length.
        var lengths = new HashSet<long>();
        for (var i = 0; i < 20; i++)
        {
            var (a, b) = InMemoryDuplexStream.CreatePair();
            using var cts = new CancellationTokenSource();
            var initiator = MseHandshake.InitiateAsync(a, Hash(1), EncryptionMethod.Rc4, default, Fast, cts.Token);
            Assert.That(() => a.BytesWritten, Is.GreaterThanOrEqualTo(96).After(2000, 10));
            cts.Cancel();
            Assert.That(async () => await initiator, Throws.InstanceOf<OperationCanceledException>());
            lengths.Add(a.BytesWritten);
            a.Dispose();
            b.Dispose();
        }
        Assert.That(lengths, Has.All.InRange(96L, 96L + 512));
        Assert.That(lengths, Has.Count.GreaterThan(5));
    }
}
