using System.Text;
using P2PShare.Networking.Encryption;
using P2PShare.Tests.Support;
using static P2PShare.Tests.Encryption.MseTestData;

namespace P2PShare.Tests.Encryption;

[CancelAfter(20_000)]
public class PeerEncryptionTests
{
    [Test]
    public async Task Sniffer_recognises_a_plain_handshake_and_replays_every_byte(CancellationToken ct)
    {
        var (peer, us) = InMemoryDuplexStream.CreatePair();
        var handshake = BitTorrentHandshake(Hash(1));
        await peer.WriteAsync(handshake, ct);
        var (isPlain, stream) = await IncomingConnectionSniffer.SniffAsync(us, ct);
        var replayed = new byte[handshake.Length];
        await stream.ReadExactlyAsync(replayed, ct);
        Assert.That(isPlain, Is.True);
        Assert.That(replayed, Is.EqualTo(handshake));
    }

    [Test]
    public async Task Sniffer_recognises_an_MSE_key_after_one_byte_and_replays_it(CancellationToken ct)
    {
        var (peer, us) = InMemoryDuplexStream.CreatePair();
        var key = new DiffieHellman().PublicKey;
        key[0] = 0x13; // starts like the plain header, differs at the second byte
        key[1] = (byte)'X';
        await peer.WriteAsync(key, ct);
        var (isPlain, stream) = await IncomingConnectionSniffer.SniffAsync(us, ct);
        var replayed = new byte[key.Length];
        await stream.ReadExactlyAsync(replayed, ct);
        Assert.That(isPlain, Is.False);
        Assert.That(replayed, Is.EqualTo(key));
    }

    [TestCase(EncryptionPolicy.Prefer, true)]
    [TestCase(EncryptionPolicy.Disable, true)]
    [TestCase(EncryptionPolicy.Require, false)]
    public async Task Incoming_plain_handshake_is_accepted_unless_encryption_is_required(EncryptionPolicy policy, bool accepted, CancellationToken ct)
    {
        var (peer, us) = InMemoryDuplexStream.CreatePair();
        var handshake = BitTorrentHandshake(Hash(1));
        await peer.WriteAsync(handshake, ct);
        if (!accepted)
        {
            var error = Assert.ThrowsAsync<MseHandshakeException>(() => PeerEncryption.AcceptAsync(us, policy, () => [Hash(1)], Fast, ct));
            Assert.That(error!.Message, Does.Contain("encryption is required"));
            return;
        }
        var result = await PeerEncryption.AcceptAsync(us, policy, () => [Hash(1)], Fast, ct);
        var received = new byte[handshake.Length];
        await result.StreamWithInitialPayload().ReadExactlyAsync(received, ct);
        Assert.That(result.Method, Is.EqualTo(EncryptionMethod.None));
        Assert.That(received, SameBytes.As(handshake));
    }

    [TestCase(EncryptionPolicy.Prefer, true)]
    [TestCase(EncryptionPolicy.Require, true)]
    [TestCase(EncryptionPolicy.Disable, false)]
    public async Task Incoming_MSE_is_accepted_unless_encryption_is_disabled(EncryptionPolicy policy, bool accepted, CancellationToken ct)
    {
        var (peer, us) = InMemoryDuplexStream.CreatePair();
        var hash = Hash(5);
        var handshake = BitTorrentHandshake(hash);
        var dialler = MseHandshake.InitiateAsync(peer, hash, EncryptionMethod.Rc4, handshake, Fast, ct);
        if (!accepted)
        {
            var error = Assert.ThrowsAsync<MseHandshakeException>(() => PeerEncryption.AcceptAsync(us, policy, () => [hash], Fast, ct));
            Assert.That(error!.Message, Does.Contain("encryption is disabled"));
            us.Dispose();
            Assert.ThrowsAsync<MseHandshakeException>(() => dialler);
            return;
        }
        var result = await PeerEncryption.AcceptAsync(us, policy, () => [Hash(1), hash], Fast, ct);
        var received = new byte[handshake.Length];
        var stream = result.StreamWithInitialPayload();
        await stream.ReadExactlyAsync(received, ct);
        Assert.That(result.Method, Is.EqualTo(EncryptionMethod.Rc4));
        Assert.That(result.InfoHash, Is.EqualTo(hash));
        Assert.That(received, SameBytes.As(handshake));
        await TransferAsync((await dialler).Stream, stream, 50_000, seed: 9, ct);
    }

    [TestCase(EncryptionPolicy.Prefer, EncryptionMethod.Plaintext)]
    [TestCase(EncryptionPolicy.Require, EncryptionMethod.Rc4)]
    public async Task Incoming_MSE_offering_both_gets_plaintext_under_Prefer_and_RC4_under_Require(EncryptionPolicy policy, object expectedMethod,
        CancellationToken ct)
    {
        var expected = (EncryptionMethod)expectedMethod;
        // Our own Prefer dialler offers both, as libtorrent does: two p2pshare peers must not pay RC4 on a fast link.
        var (peer, us) = InMemoryDuplexStream.CreatePair();
        var hash = Hash(7);
        var handshake = BitTorrentHandshake(hash);
        var dialler = MseHandshake.InitiateAsync(peer, hash, EncryptionMethod.Rc4 | EncryptionMethod.Plaintext, handshake, Fast, ct);
        var result = await PeerEncryption.AcceptAsync(us, policy, () => [hash], Fast, ct);
        var outgoing = await dialler;
        var stream = result.StreamWithInitialPayload();
        var received = new byte[handshake.Length];
        await stream.ReadExactlyAsync(received, ct);
        Assert.Multiple(() =>
        {
            Assert.That(result.Method, Is.EqualTo(expected));
            Assert.That(outgoing.Method, Is.EqualTo(expected));
            Assert.That(outgoing.Stream is Rc4Stream, Is.EqualTo(expected == EncryptionMethod.Rc4));
            Assert.That(received, SameBytes.As(handshake));
        });
        await TransferAsync(outgoing.Stream, stream, 50_000, seed: 10, ct);
        await TransferAsync(stream, outgoing.Stream, 50_000, seed: 11, ct);
    }

    [Test]
    public async Task Prefer_falls_back_to_plain_BitTorrent_on_a_new_connection_when_the_peer_refuses_MSE(CancellationToken ct)
    {
        var hash = Hash(6);
        var handshake = BitTorrentHandshake(hash);
        var received = new List<byte[]>();
        var connects = 0;
        async Task<Stream> Connect(CancellationToken token)
        {
            connects++;
            var (us, peer) = InMemoryDuplexStream.CreatePair();
            _ = Task.Run(async () =>
            {
                // A plain-only peer: reads a handshake's worth, hangs up when it is not one.
                var first = new byte[68];
                await peer.ReadExactlyAsync(first, token);
                lock (received)
                    received.Add(first);
                if (!first.AsSpan(1, 19).SequenceEqual("BitTorrent protocol"u8))
                    peer.Dispose();
            }, token);
            return us;
        }
        var result = await PeerEncryption.ConnectAsync(Connect, hash, EncryptionPolicy.Prefer, handshake, Fast, ct);
        Assert.That(result.Method, Is.EqualTo(EncryptionMethod.None));
        Assert.That(connects, Is.EqualTo(2));
        await Eventually.UntilAsync(() => { lock (received) return received.Count == 2; }, TimeSpan.FromSeconds(5), "both connections read", cancellationToken: ct);
        Assert.That(received[1], Is.EqualTo(handshake));
    }

    [Test]
    public void Require_does_not_fall_back_when_the_peer_refuses_MSE()
    {
        var connects = 0;
        Task<Stream> Connect(CancellationToken token)
        {
            connects++;
            var (us, peer) = InMemoryDuplexStream.CreatePair();
            peer.Dispose();
            return Task.FromResult<Stream>(us);
        }
        Assert.ThrowsAsync<MseHandshakeException>(() => PeerEncryption.ConnectAsync(Connect, Hash(1), EncryptionPolicy.Require, BitTorrentHandshake(Hash(1)), Fast));
        Assert.That(connects, Is.EqualTo(1));
    }

    [Test]
    public async Task Disable_sends_the_plain_handshake_without_MSE(CancellationToken ct)
    {
        var (us, peer) = InMemoryDuplexStream.CreatePair();
        var handshake = BitTorrentHandshake(Hash(1));
        var result = await PeerEncryption.ConnectAsync(_ => Task.FromResult<Stream>(us), Hash(1), EncryptionPolicy.Disable, handshake, Fast, ct);
        var first = new byte[handshake.Length];
        await peer.ReadExactlyAsync(first, ct);
        Assert.That(first, Is.EqualTo(handshake));
        Assert.That(result.Method, Is.EqualTo(EncryptionMethod.None));
        Assert.That(Encoding.ASCII.GetString(first, 1, 19), Is.EqualTo("BitTorrent protocol"));
    }

    [Test]
    public void Rc4Stream_writes_and_reads_without_allocating()
    {
        var sink = new MemoryStream(new byte[1 << 20]);
        var stream = new Rc4Stream(sink, Rc4.ForMse("a"u8), Rc4.ForMse("b"u8));
        var block = new byte[16 * 1024];
        stream.Write(block); // warm the pool
        stream.WriteAsync(block).AsTask().GetAwaiter().GetResult();
        sink.Position = 0;
        var synchronous = 0;
        var before = GC.GetAllocatedBytesForCurrentThread();
        for (var i = 0; i < 30; i++)
        {
            stream.Write(block);
            synchronous += stream.WriteAsync(block).IsCompletedSuccessfully ? 1 : 0;
        }
        var allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        Assert.That(synchronous, Is.EqualTo(30));
        Assert.That(allocated, Is.Zero, $"{allocated} bytes allocated for 60 encrypted block writes");
    }

    [Test]
    public void Rc4Stream_reads_that_wait_on_the_inner_stream_decrypt_without_allocating()
    {
        // Each read waits (the inner stream completes it later, as a socket with no data yet does); the
        // continuation runs on this thread, so the thread's allocation counter sees everything.
        var inner = new LaterStream();
        var stream = new Rc4Stream(inner, Rc4.ForMse("a"u8), Rc4.ForMse("b"u8));
        var plain = new byte[4096];
        new Random(2).NextBytes(plain);
        var chunk = new byte[plain.Length];
        var peerEncryptor = Rc4.ForMse("b"u8);
        var buffer = new byte[plain.Length];
        Memory<byte> memory = buffer;
        var waited = 0;
        int ReadOne(int length)
        {
            var read = stream.ReadAsync(memory[..length]);
            waited += read.IsCompleted ? 0 : 1;
            plain.AsSpan(0, length).CopyTo(chunk);
            peerEncryptor.Transform(chunk.AsSpan(0, length));
            inner.Complete(chunk, length);
            return read.Result;
        }
        for (var i = 0; i < 50; i++)
            ReadOne(100); // warm: pooled boxes, JIT
        var before = GC.GetAllocatedBytesForCurrentThread();
        var total = 0;
        for (var i = 0; i < 200; i++)
            total += ReadOne(plain.Length);
        var allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        Assert.That(waited, Is.EqualTo(250), "every read should have waited on the inner stream");
        Assert.That(total, Is.EqualTo(200 * plain.Length));
        Assert.That(buffer, Is.EqualTo(plain), "the last read decrypts to the plaintext");
        Assert.That(allocated, Is.LessThan(200 * 8), $"{allocated} bytes allocated for 200 reads that waited");
    }

    /// <summary>A read-only stream whose reads complete when the test hands it the bytes (one reusable source, no allocation).</summary>
    private sealed class LaterStream : Stream, System.Threading.Tasks.Sources.IValueTaskSource<int>
    {
        private System.Threading.Tasks.Sources.ManualResetValueTaskSourceCore<int> _core;
        private Memory<byte> _destination;

        public void Complete(byte[] bytes, int length)
        {
            bytes.AsSpan(0, length).CopyTo(_destination.Span);
            _core.SetResult(length);
        }

        public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
        {
            _core.Reset();
            _destination = buffer;
            return new ValueTask<int>(this, _core.Version);
        }

        public int GetResult(short token) => _core.GetResult(token);
        public System.Threading.Tasks.Sources.ValueTaskSourceStatus GetStatus(short token) => _core.GetStatus(token);
        public void OnCompleted(Action<object?> continuation, object? state, short token, System.Threading.Tasks.Sources.ValueTaskSourceOnCompletedFlags flags) =>
            _core.OnCompleted(continuation, state, token, flags);

        public override bool CanRead => true;
        public override bool CanSeek => false;
        public override bool CanWrite => false;
        public override long Length => throw new NotSupportedException();
        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }
        public override void Flush() { }
        public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();
        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();
        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    }
}
