using System.Net;
using System.Net.Sockets;
using P2PShare.Metainfo;
using P2PShare.Networking.Encryption;
using P2PShare.Tests.Support;

namespace P2PShare.Tests.Interop.Encryption;

/// <summary>
/// Our MSE handshake against real clients that require encryption with RC4 only: libtorrent seeding to our
/// initiator, a libtorrent leecher dialling our responder, and transmission seeding to our initiator. The
/// BitTorrent side of our peer is the raw test wire (<see cref="RawPeerWire"/>): these tests prove the
/// transport, not the engine.
/// </summary>
[TestFixture]
[Category("Interop")]
[CancelAfter(60_000)]
public sealed class EncryptionInteropTests
{
    private const int PieceLength = 64 * 1024;

    [Test]
    public async Task Our_initiator_gets_a_block_from_a_libtorrent_seeder_that_requires_RC4(CancellationToken ct)
    {
        RequiredTool.EnsureLibtorrent();
        await using var work = new TempDirectory();
        var file = TestData.CreateFile(work.Combine("seed", "data.bin"), 256 * 1024, seed: 11);
        var torrent = await LibtorrentTorrent.CreateAsync(file, work.Combine("data.torrent"), PieceLength, cancellationToken: ct);
        await using var seeder = await LibtorrentPeer.StartSeedAsync(torrent.TorrentPath, work.Combine("seed"),
            o => o with { NoTrackers = true, Encryption = "forced", EncryptionLevel = "rc4" }, ct);

        var connection = await PeerEncryption.ConnectAsync(t => ConnectAsync(seeder.EndPoint, t), InfoHash.Parse(seeder.InfoHash),
            EncryptionPolicy.Require, RawPeerWire.Handshake(InfoHash.Parse(seeder.InfoHash).Span, RawPeerWire.NewPeerId()), cancellationToken: ct);
        await using var stream = connection.Stream;
        Assert.That(connection.Method, Is.EqualTo(EncryptionMethod.Rc4));

        var block = await RequestOneBlockAsync(stream, InfoHash.Parse(seeder.InfoHash), pieceCount: 4, index: 1, begin: 16 * 1024, ct);
        var expected = new byte[16 * 1024];
        await using (var data = File.OpenRead(file))
        {
            data.Position = PieceLength + 16 * 1024;
            await data.ReadExactlyAsync(expected, ct);
        }
        Assert.That(block, SameBytes.As(expected));
    }

    [Test]
    public async Task A_libtorrent_leecher_that_requires_RC4_downloads_from_our_responder(CancellationToken ct)
    {
        RequiredTool.EnsureLibtorrent();
        await using var work = new TempDirectory();
        var file = TestData.CreateFile(work.Combine("seed", "data.bin"), 300 * 1024, seed: 12);
        var torrent = await LibtorrentTorrent.CreateAsync(file, work.Combine("data.torrent"), PieceLength, cancellationToken: ct);
        var hash = (await TorrentParser.LoadAsync(torrent.TorrentPath, ct)).InfoHash;
        var methods = new List<EncryptionMethod>();
        async Task<Stream> Accept(Stream raw, CancellationToken t)
        {
            var accepted = await PeerEncryption.AcceptAsync(raw, EncryptionPolicy.Require, () => [InfoHash.Parse(new string('0', 40)), hash], cancellationToken: t);
            lock (methods)
                methods.Add(accepted.Method);
            return accepted.StreamWithInitialPayload();
        }
        await using var seeder = await MisbehavingSeeder.StartAsync(SeederMisbehaviour.None, torrent.TorrentPath, file, transport: Accept, cancellationToken: ct);

        await using var leecher = await LibtorrentPeer.StartAsync(new LibtorrentPeerOptions(torrent.TorrentPath, work.CreateSubdirectory("leech"))
        {
            Mode = LibtorrentMode.Leech, NoTrackers = true, ConnectTo = [seeder.EndPoint], Encryption = "forced", EncryptionLevel = "rc4",
        }, ct);
        await leecher.WaitForExitAsync(TimeSpan.FromSeconds(40), ct);

        Assert.That(TestData.Sha256File(work.Combine("leech", "data.bin")), Is.EqualTo(TestData.Sha256File(file)), seeder.Describe());
        lock (methods)
        {
            Assert.That(methods, Is.Not.Empty.And.All.EqualTo(EncryptionMethod.Rc4), seeder.Describe());
        }
    }

    [Test]
    public async Task Our_initiator_gets_a_block_from_a_transmission_seeder_that_requires_encryption(CancellationToken ct)
    {
        await using var work = new TempDirectory();
        var file = TestData.CreateFile(work.Combine("seed", "data.bin"), 256 * 1024, seed: 13);
        var torrent = await LibtorrentTorrent.CreateAsync(file, work.Combine("data.torrent"), PieceLength, cancellationToken: ct);
        await using var daemon = await TransmissionDaemon.StartAsync(work.CreateSubdirectory("transmission"), cancellationToken: ct, encryption: "required");
        var hash = (await TorrentParser.LoadAsync(torrent.TorrentPath, ct)).InfoHash;
        await daemon.AddTorrentAsync(torrent.TorrentPath, work.Combine("seed"), ct);
        await daemon.WaitForStatusAsync(hash.Hex, s => s.IsSeeding, TimeSpan.FromSeconds(20), "transmission seeding", ct);

        // Transmission resets the first connections it gets right after it starts seeding, and drops rapid reconnects
        // for a few seconds (real-clients-on-loopback.md): dial again, once a second, within a bound.
        byte[]? block = null;
        Exception? last = null;
        await Eventually.UntilAsync(async () =>
        {
            try
            {
                var connection = await PeerEncryption.ConnectAsync(t => ConnectAsync(daemon.PeerEndPoint, t), hash,
                    EncryptionPolicy.Require, RawPeerWire.Handshake(hash.Span, RawPeerWire.NewPeerId()), cancellationToken: ct);
                await using var stream = connection.Stream;
                Assert.That(connection.Method, Is.EqualTo(EncryptionMethod.Rc4));
                block = await RequestOneBlockAsync(stream, hash, pieceCount: 4, index: 2, begin: 0, ct);
                return true;
            }
            catch (IOException error)
            {
                last = error;
                return false;
            }
        }, TimeSpan.FromSeconds(30), "an encrypted connection to transmission that serves a block", () => $"last error: {last?.Message}",
            TimeSpan.FromSeconds(1), ct);
        var expected = new byte[16 * 1024];
        await using (var data = File.OpenRead(file))
        {
            data.Position = 2 * PieceLength;
            await data.ReadExactlyAsync(expected, ct);
        }
        Assert.That(block, SameBytes.As(expected));
    }

    [Test]
    public async Task Prefer_falls_back_to_plain_BitTorrent_with_a_libtorrent_seeder_that_disables_encryption_and_Require_refuses_it(CancellationToken ct)
    {
        RequiredTool.EnsureLibtorrent();
        await using var work = new TempDirectory();
        var file = TestData.CreateFile(work.Combine("seed", "data.bin"), 128 * 1024, seed: 14);
        var torrent = await LibtorrentTorrent.CreateAsync(file, work.Combine("data.torrent"), PieceLength, cancellationToken: ct);
        await using var seeder = await LibtorrentPeer.StartSeedAsync(torrent.TorrentPath, work.Combine("seed"),
            o => o with { NoTrackers = true, Encryption = "disabled" }, ct);
        var hash = InfoHash.Parse(seeder.InfoHash);
        var dials = 0;
        Task<Stream> Dial(CancellationToken t)
        {
            Interlocked.Increment(ref dials);
            return ConnectAsync(seeder.EndPoint, t);
        }

        Assert.ThrowsAsync<MseHandshakeException>(() => PeerEncryption.ConnectAsync(Dial, hash, EncryptionPolicy.Require,
            RawPeerWire.Handshake(hash.Span, RawPeerWire.NewPeerId()), cancellationToken: ct));
        Assert.That(dials, Is.EqualTo(1));

        var connection = await PeerEncryption.ConnectAsync(Dial, hash, EncryptionPolicy.Prefer,
            RawPeerWire.Handshake(hash.Span, RawPeerWire.NewPeerId()), cancellationToken: ct);
        await using var stream = connection.Stream;
        Assert.That(connection.Method, Is.EqualTo(EncryptionMethod.None));
        Assert.That(dials, Is.EqualTo(3), "Prefer tried MSE first, then dialled again in the clear");
        var block = await RequestOneBlockAsync(stream, hash, pieceCount: 2, index: 0, begin: 0, ct);
        Assert.That(block, SameBytes.As(File.ReadAllBytes(file)[..(16 * 1024)]));
    }

    [Test]
    public async Task Disable_cannot_reach_a_libtorrent_seeder_that_requires_encryption(CancellationToken ct)
    {
        RequiredTool.EnsureLibtorrent();
        await using var work = new TempDirectory();
        var file = TestData.CreateFile(work.Combine("seed", "data.bin"), 64 * 1024, seed: 15);
        var torrent = await LibtorrentTorrent.CreateAsync(file, work.Combine("data.torrent"), PieceLength, cancellationToken: ct);
        await using var seeder = await LibtorrentPeer.StartSeedAsync(torrent.TorrentPath, work.Combine("seed"),
            o => o with { NoTrackers = true, Encryption = "forced", EncryptionLevel = "rc4" }, ct);
        var hash = InfoHash.Parse(seeder.InfoHash);
        var connection = await PeerEncryption.ConnectAsync(t => ConnectAsync(seeder.EndPoint, t), hash, EncryptionPolicy.Disable,
            RawPeerWire.Handshake(hash.Span, RawPeerWire.NewPeerId()), cancellationToken: ct);
        await using var stream = connection.Stream;
        var reply = new byte[RawPeerWire.HandshakeLength];
        Assert.That(async () => await stream.ReadExactlyAsync(reply, ct), Throws.InstanceOf<IOException>(), "libtorrent closes a plain handshake");
    }

    private static async Task<Stream> ConnectAsync(IPEndPoint endPoint, CancellationToken ct)
    {
        var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        try
        {
            await socket.ConnectAsync(endPoint, ct);
        }
        catch
        {
            socket.Dispose();
            throw;
        }
        return new NetworkStream(socket, ownsSocket: true);
    }

    /// <summary>After our handshake went out: checks the peer's handshake and complete bitfield, asks for one 16 KiB block, returns it.</summary>
    private static async Task<byte[]> RequestOneBlockAsync(Stream stream, InfoHash hash, int pieceCount, int index, int begin, CancellationToken ct)
    {
        var handshake = new byte[RawPeerWire.HandshakeLength];
        await stream.ReadExactlyAsync(handshake, ct);
        Assert.That(RawPeerWire.HandshakeProblem(handshake, hash.Span), Is.Null);

        var reader = new RawFrameReader(stream, 1 << 20);
        var message = await reader.ReadAsync(ct);
        Assert.That(message.Span[0], Is.EqualTo(RawPeerWire.Bitfield), "the first message after the handshake");
        Assert.That(message.Length, Is.EqualTo(1 + (pieceCount + 7) / 8));
        for (var i = 0; i < pieceCount; i++)
            Assert.That(message.Span[1 + i / 8] & (0x80 >> (i % 8)), Is.Not.Zero, $"piece {i} missing from the seeder's bitfield");

        await stream.WriteAsync(RawPeerWire.Message(RawPeerWire.Interested, []), ct);
        while ((await reader.ReadAsync(ct)).Span[0] != RawPeerWire.Unchoke)
        {
        }
        await stream.WriteAsync(RawPeerWire.RequestMessage(index, begin, 16 * 1024), ct);
        while (true)
        {
            message = await reader.ReadAsync(ct);
            if (RawPeerWire.ParsePiece(message.Span) is { } block)
            {
                Assert.That((block.Index, block.Begin), Is.EqualTo((index, begin)));
                return block.Data;
            }
        }
    }
}
