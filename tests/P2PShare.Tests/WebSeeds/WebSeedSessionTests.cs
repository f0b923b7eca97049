using System.Security.Cryptography;
using Microsoft.Extensions.Logging.Abstractions;
using P2PShare.Bencode;
using P2PShare.Engine;
using P2PShare.Engine.WebSeeds;
using P2PShare.Metainfo;
using P2PShare.Protocol;
using P2PShare.Protocol.Wire;
using P2PShare.Tests.Engine;
using P2PShare.Tests.Support;

namespace P2PShare.Tests.WebSeeds;

/// <summary>A whole torrent session fed only by web seeds (scripted HTTP servers on 127.0.0.1), storage in memory.</summary>
[CancelAfter(30_000)]
public class WebSeedSessionTests
{
    private const int PieceLength = 32 * 1024;

    private static (Torrent Torrent, byte[] Data) MakeTorrent(int length, params string[] webSeeds)
    {
        var data = new byte[length];
        new Random(length).NextBytes(data);
        var hashes = new List<byte>();
        for (var offset = 0; offset < length; offset += PieceLength)
            hashes.AddRange(SHA1.HashData(data.AsSpan(offset, Math.Min(PieceLength, length - offset))));
        var info = new BDictionary
        {
            ["name"] = new BString("data.bin"), ["length"] = new BInteger(length), ["piece length"] = new BInteger(PieceLength),
            ["pieces"] = new BString(hashes.ToArray()),
        };
        var root = new BDictionary { ["info"] = info, ["url-list"] = new BList(webSeeds.Select(w => (BValue)new BString(w))) };
        return (TorrentParser.Parse(BencodeEncoder.Encode(root)), data);
    }

    private static Func<ScriptedRequest, byte[]?> Serving(byte[] data, Func<long, bool>? corruptAt = null) => r =>
    {
        var body = data.AsSpan((int)r.From!.Value, (int)(r.To!.Value - r.From.Value + 1)).ToArray();
        if (corruptAt?.Invoke(r.From.Value) == true)
            body[0] ^= 0xFF;
        return ScriptedHttpServer.Partial(body, r.From.Value, r.To.Value, data.Length);
    };

    private static EngineOptions Options(int maxFailures = 3, int maxHashFailures = 3) => new()
    {
        WebSeeds = new WebSeedOptions { FirstBackoff = TimeSpan.FromMilliseconds(20), MaxConsecutiveFailures = maxFailures, MaxHashFailures = maxHashFailures },
    };

    [Test]
    public async Task AGoodSeedCompletesWhileAFailingOneIsDroppedWithItsReasonShown(CancellationToken ct)
    {
        // The data depends only on the length: made first for the servers, then the torrent names them.
        var (_, data) = MakeTorrent(1_000_000);
        await using var failing = new ScriptedHttpServer(_ => ScriptedHttpServer.Raw("HTTP/1.1 500 Internal Server Error\r\nContent-Length: 0\r\n\r\n"));
        // The good seed answers only once the failing one has failed three times, so the download cannot end first.
        var serve = Serving(data);
        await using var goodServer = new ScriptedHttpServer(r =>
            SpinWait.SpinUntil(() => failing.Requests.Count >= 3, TimeSpan.FromSeconds(10)) ? serve(r) : null);
        var (torrent, _) = MakeTorrent(1_000_000, goodServer.Url("/data.bin"), failing.Url("/"));
        var store = new InMemoryPieceStore(torrent);
        await using var session = new TorrentSession(torrent, store, new Bitfield(torrent.PieceCount), PeerId.CreateOurs(new Random(1)), Options(),
            TimeProvider.System, new Random(1), NullLogger.Instance);
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(ct);
        var run = session.RunAsync(stop.Token);

        await session.Completed.WaitAsync(TimeSpan.FromSeconds(20), ct);
        Assert.That(store.Content, Is.EqualTo(data));
        // The failing seed gets a few tries while the good one works, then is dropped.
        await P2PShare.Tests.Support.Eventually.UntilAsync(() => session.PeerList().Any(p => p.Flags == "X"), TimeSpan.FromSeconds(10),
            "the failing seed to be dropped", () => string.Join("; ", session.PeerList()));
        var rows = session.PeerList();
        Assert.Multiple(() =>
        {
            Assert.That(rows.Select(r => r.Source), Is.All.EqualTo(PeerSource.WebSeed));
            Assert.That(rows.Single(r => r.Address == failing.Url("/")).Client, Does.StartWith("dropped: 3 failures in a row, last: ").And.Contain("HTTP 500"));
            Assert.That(rows.Single(r => r.Address == goodServer.Url("/data.bin")).Flags, Is.EqualTo("W"));
            // Three failures drop it; the second fetch loop may have had one more request under way at that moment.
            Assert.That(failing.Requests, Has.Count.InRange(3, 3 + new WebSeedOptions().PiecesInFlight - 1), "no new request once the seed is dropped");
            Assert.That(goodServer.Requests.Sum(r => r.To!.Value - r.From!.Value + 1), Is.EqualTo(data.Length), "every piece fetched once");
        });
        await stop.CancelAsync();
        await run;
    }

    [Test]
    public async Task BadBytesFromASeedNeverReachStorageAndThePieceComesFromAnotherSeed(CancellationToken ct)
    {
        var (_, data) = MakeTorrent(600_000);
        // The bad seed corrupts every odd piece; such a piece is not asked of it again, and the good seed serves it.
        await using var bad = new ScriptedHttpServer(Serving(data, from => from / PieceLength % 2 == 1));
        await using var goodServer = new ScriptedHttpServer(Serving(data));
        var (torrent, _) = MakeTorrent(600_000, bad.Url("/data.bin"), goodServer.Url("/data.bin"));
        var store = new RecordingStore(torrent);
        await using var session = new TorrentSession(torrent, store, new Bitfield(torrent.PieceCount), PeerId.CreateOurs(new Random(2)),
            Options(maxHashFailures: 5), TimeProvider.System, new Random(2), NullLogger.Instance);
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(ct);
        var run = session.RunAsync(stop.Token);

        await session.Completed.WaitAsync(TimeSpan.FromSeconds(20), ct);
        Assert.That(store.Inner.Content, SameBytes.As(data));
        Assert.That(store.Writes, Is.EqualTo(torrent.PieceCount), "each piece written once, only after its hash matched");
        var badPieces = bad.Requests.Select(r => r.From!.Value / PieceLength).ToList();
        Assert.That(badPieces.Where(p => p % 2 == 1), Is.Not.Empty, "the bad seed did serve corrupt pieces");
        Assert.That(badPieces, Is.Unique, "a piece that failed from a seed is not asked of it again");
        await stop.CancelAsync();
        await run;
    }

    private sealed class RecordingStore(Torrent torrent) : IPieceStore
    {
        private int _writes;

        public InMemoryPieceStore Inner { get; } = new(torrent);

        public int Writes => Volatile.Read(ref _writes);

        public ValueTask WritePieceAsync(int pieceIndex, ReadOnlyMemory<byte> data, CancellationToken cancellationToken)
        {
            Interlocked.Increment(ref _writes);
            return Inner.WritePieceAsync(pieceIndex, data, cancellationToken);
        }

        public ValueTask ReadAsync(int pieceIndex, int offset, Memory<byte> destination, CancellationToken cancellationToken) =>
            Inner.ReadAsync(pieceIndex, offset, destination, cancellationToken);

        public ValueTask FlushAsync(CancellationToken cancellationToken) => Inner.FlushAsync(cancellationToken);

        public ValueTask DisposeAsync() => Inner.DisposeAsync();
    }
}
