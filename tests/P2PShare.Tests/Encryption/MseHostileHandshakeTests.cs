using System.Diagnostics;
using P2PShare.Networking.Encryption;
using P2PShare.Tests.Support;
using static P2PShare.Tests.Encryption.MseTestData;

namespace P2PShare.Tests.Encryption;

/// <summary>Handshakes that go wrong on purpose: each must end in an <see cref="MseHandshakeException"/>, in bounded time and reads.</summary>
[CancelAfter(20_000)]
public class MseHostileHandshakeTests
{
    private static readonly MseOptions Short = new() { StepTimeout = TimeSpan.FromMilliseconds(500), HandshakeTimeout = TimeSpan.FromSeconds(3), PadLength = 0 };

    // The unpadded initiator's bytes: Ya 0..96, req1 96..116, req2^req3 116..136, VC 136..144, crypto_provide 144..148,
    // len(PadC) 148..150, len(IA) 150..152, IA 152..220.
    [TestCase(0), TestCase(1), TestCase(95), TestCase(96), TestCase(110), TestCase(116), TestCase(130), TestCase(136),
     TestCase(140), TestCase(148), TestCase(150), TestCase(152), TestCase(200)]
    public async Task Initiator_vanishing_at_any_byte_fails_the_responder(int truncateAfter, CancellationToken ct)
    {
        var (a, b) = InMemoryDuplexStream.CreatePair();
        var hash = Hash(1);
        using var stopInitiator = CancellationTokenSource.CreateLinkedTokenSource(ct);
        var initiator = MseHandshake.InitiateAsync(new TamperingStream(a, truncateAfter: truncateAfter), hash, EncryptionMethod.Rc4,
            BitTorrentHandshake(hash), Short, stopInitiator.Token);
        if (truncateAfter == 0)
            await a.DisposeAsync();
        var clock = Stopwatch.StartNew();
        var error = Assert.ThrowsAsync<MseHandshakeException>(() => MseHandshake.RespondAsync(b, () => [hash], EncryptionMethod.Rc4, Short, ct));
        TestContext.Out.WriteLine(error!.Message);
        Assert.That(clock.Elapsed, Is.LessThan(TimeSpan.FromSeconds(2)));
        await stopInitiator.CancelAsync();
        await b.DisposeAsync();
        Assert.That(async () => await initiator, Throws.Exception);
    }

    [TestCase(100, 0x01, "req1")] // the req1 hash never shows up
    [TestCase(120, 0x01, "torrent we do not have")] // req2 xor req3 names no torrent
    [TestCase(138, 0x01, "verification constant is wrong")]
    [TestCase(147, 0x03, "offers crypto 0x1")] // crypto_provide RC4 → plaintext, responder requires RC4
    [TestCase(148, 0xFF, "PadC is")] // len(PadC) 0 → 65280
    public void Tampered_initiator_bytes_are_refused_with_a_reason(int offset, byte mask, string reason)
    {
        var (a, b) = InMemoryDuplexStream.CreatePair();
        var hash = Hash(1);
        _ = MseHandshake.InitiateAsync(new TamperingStream(a, flipOffset: offset, flipMask: mask), hash, EncryptionMethod.Rc4, BitTorrentHandshake(hash), Short);
        var error = Assert.ThrowsAsync<MseHandshakeException>(() => MseHandshake.RespondAsync(b, () => [hash], EncryptionMethod.Rc4, Short));
        Assert.That(error!.Message, Does.Contain(reason));
        a.Dispose();
        b.Dispose();
    }

    [Test]
    public async Task Garbage_to_the_responder_is_refused_after_a_bounded_read(CancellationToken ct)
    {
        var (peer, b) = InMemoryDuplexStream.CreatePair();
        var counted = new TamperingStream(b);
        var garbage = new byte[20_000];
        new Random(7).NextBytes(garbage);
        garbage[0] = 0x80; // a valid-range "public key"
        await peer.WriteAsync(garbage, ct);
        var error = Assert.ThrowsAsync<MseHandshakeException>(() => MseHandshake.RespondAsync(counted, () => [Hash(1)], EncryptionMethod.Rc4, Short, ct));
        Assert.That(error!.Message, Does.Contain("req1 hash not found within 512 bytes"));
        Assert.That(counted.BytesRead, Is.LessThanOrEqualTo(96 + MseReadBuffer.Capacity));
    }

    [Test]
    public async Task Endless_padding_to_the_responder_is_cut_off(CancellationToken ct)
    {
        var (peer, b) = InMemoryDuplexStream.CreatePair();
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(ct);
        var flood = Task.Run(async () =>
        {
            var chunk = new byte[4096];
            chunk[0] = 0x80;
            while (!stop.IsCancellationRequested)
                await peer.WriteAsync(chunk, stop.Token);
        }, CancellationToken.None);
        var clock = Stopwatch.StartNew();
        Assert.ThrowsAsync<MseHandshakeException>(() => MseHandshake.RespondAsync(b, () => [Hash(1)], EncryptionMethod.Rc4, Short, ct));
        Assert.That(clock.Elapsed, Is.LessThan(TimeSpan.FromSeconds(2)));
        await stop.CancelAsync();
        b.Dispose();
        await Task.WhenAny(flood); // ended by the cancellation or the closed pipe
    }

    [Test]
    public async Task Garbage_from_the_responder_fails_the_initiator_at_the_vc_scan(CancellationToken ct)
    {
        var (a, peer) = InMemoryDuplexStream.CreatePair();
        var initiator = MseHandshake.InitiateAsync(a, Hash(1), EncryptionMethod.Rc4, default, Short, ct);
        var reply = new byte[96 + 2000];
        new DiffieHellman().PublicKey.CopyTo(reply, 0);
        new Random(8).NextBytes(reply.AsSpan(96));
        await peer.WriteAsync(reply, ct);
        var error = Assert.ThrowsAsync<MseHandshakeException>(() => initiator);
        Assert.That(error!.Message, Does.Contain("verification constant not found within 512 bytes"));
    }

    [Test]
    public async Task Degenerate_public_key_from_the_responder_is_refused(CancellationToken ct)
    {
        var (a, peer) = InMemoryDuplexStream.CreatePair();
        var initiator = MseHandshake.InitiateAsync(a, Hash(1), EncryptionMethod.Rc4, default, Short, ct);
        var one = new byte[96];
        one[^1] = 1;
        await peer.WriteAsync(one, ct);
        var error = Assert.ThrowsAsync<MseHandshakeException>(() => initiator);
        Assert.That(error!.Message, Does.Contain("out of range"));
    }

    [Test]
    public void Silent_peer_times_out_at_the_first_step()
    {
        var (a, peer) = InMemoryDuplexStream.CreatePair();
        var clock = Stopwatch.StartNew();
        var error = Assert.ThrowsAsync<MseHandshakeException>(() => MseHandshake.InitiateAsync(a, Hash(1), EncryptionMethod.Rc4, default, Short));
        Assert.That(error!.Message, Does.Contain("timed out after 0.5 s waiting for the peer's public key"));
        Assert.That(clock.Elapsed, Is.LessThan(TimeSpan.FromSeconds(2)));
        peer.Dispose();
    }

    [Test]
    public async Task Slow_drip_is_ended_by_the_whole_handshake_timeout(CancellationToken ct)
    {
        var (peer, b) = InMemoryDuplexStream.CreatePair();
        var options = Short with { StepTimeout = TimeSpan.FromSeconds(10), HandshakeTimeout = TimeSpan.FromSeconds(1) };
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(ct);
        var drip = Task.Run(async () =>
        {
            await peer.WriteAsync(new byte[] { 0x80 }, stop.Token);
            while (!stop.IsCancellationRequested)
            {
                await Task.Delay(5, stop.Token);
                await peer.WriteAsync(new byte[] { 0x42 }, stop.Token);
            }
        }, CancellationToken.None);
        var clock = Stopwatch.StartNew();
        var error = Assert.ThrowsAsync<MseHandshakeException>(() => MseHandshake.RespondAsync(b, () => [Hash(1)], EncryptionMethod.Rc4, options, ct));
        Assert.That(error!.Message, Does.Contain("took longer than 1 s"));
        Assert.That(clock.Elapsed, Is.LessThan(TimeSpan.FromSeconds(3)));
        await stop.CancelAsync();
        await Task.WhenAny(drip);
    }
}
