using System.Globalization;
using System.Text.RegularExpressions;
using P2PShare.Tests.Interop.Download;
using P2PShare.Tests.Support;

namespace P2PShare.Tests.Interop.Encryption;

/// <summary>
/// The Fast extension (BEP 6) against libtorrent, seen from both ends: libtorrent's own peer log (lt_peer.py
/// --log-peer-messages) says which wire messages it sent and received, and our log (--verbose) says what we did
/// with them. A libtorrent seeder whose unchoke slots drop to zero mid-transfer chokes us and rejects our pending
/// requests; those blocks must be asked of the other seeder at once, and the download completes intact. The
/// have-all/have-none openings are checked in both roles.
/// </summary>
[TestFixture]
[Category("Interop")]
[CancelAfter(90_000)]
public sealed partial class FastExtensionInteropTests
{
    private const int PieceSizeKiB = 64;

    /// <summary>
    /// A rejected block must reach the other seeder within this: measured 0.5 s (when the other seeder's pipeline
    /// has room); without the reject handling it would wait for the endgame or the 20 s request timeout.
    /// </summary>
    private static readonly TimeSpan ReRequestBound = TimeSpan.FromSeconds(3);

    [Test]
    public async Task Blocks_rejected_by_a_libtorrent_seeder_that_chokes_us_are_requested_from_the_other_seeder_at_once(CancellationToken ct)
    {
        RequiredTool.EnsureLibtorrent();
        await using var temp = new TempDirectory("p2pshare-fast-choke-");
        var source = TestData.CreateFile(temp.Combine("seed", "choke.bin"), 4 * 1024 * 1024 + 7, seed: 71);
        var torrent = await P2PShareClient.CreateTorrentAsync(source, temp.Combine("choke.torrent"), pieceSizeKiB: PieceSizeKiB, cancellationToken: ct);

        // Seeder A: slow (so our requests queue up at it), unchoke rounds every second, and loopback peers count
        // against its unchoke slots (libtorrent exempts local peers otherwise). Seeder B: a little faster.
        const string Logged = "CHOKE,UNCHOKE,REQUEST,REJECT_PIECE,HAVE_ALL,HAVE_NONE,ALLOWED_FAST";
        await using var seederA = await LibtorrentPeer.StartSeedAsync(torrent.TorrentPath, temp.Combine("seed"), o => o with
        {
            NoTrackers = true, UploadLimit = 200_000, UnchokeInterval = 1, LocalUnchokeSlots = true, LogPeerMessages = Logged,
        }, ct);
        await using var seederB = await LibtorrentPeer.StartSeedAsync(torrent.TorrentPath, temp.Combine("seed"), o => o with
        {
            NoTrackers = true, UploadLimit = 300_000, LogPeerMessages = Logged,
        }, ct);

        var output = temp.CreateSubdirectory("out");
        await using var downloader = P2PShareClient.StartDownload(temp.Path, torrent.TorrentPath, output,
            "--peer", $"127.0.0.1:{seederA.Port}", "--peer", $"127.0.0.1:{seederB.Port}", "--no-seed", "--give-up-after", "60", "--verbose");

        // Mid-transfer: A has served some of it and holds requests of ours; its slots go to zero.
        await seederA.WaitForStatusAsync(s => s.TotalPayloadUpload >= 256 * 1024, TimeSpan.FromSeconds(30), "seeder A to upload 256 KiB", ct);
        var slotsGoneAt = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds() / 1000.0;
        await seederA.SetUnchokeSlotsAsync(0, ct);
        // A's rejects queue behind the piece data in its rate-limited send buffer: wait until we have them all
        // before B's cap goes (else the download could end first and they would never arrive).
        // Requests already on their way when A choked are rejected a moment later: wait for a quiet second, and
        // until B has been asked for every rejected block. B stays capped until then, so that no endgame (all
        // blocks requested: duplicates to B) can stand in for the reject handling.
        await Eventually.UntilAsync(() =>
            {
                var sent = seederA.PeerMessages().Where(m => m.IsOutgoing && m.Type == "REJECT_PIECE").ToList();
                var askedOfB = seederB.PeerMessages().Where(m => !m.IsOutgoing && m.Type == "REQUEST").Select(m => m.Block).ToHashSet();
                var ours = OurRejects(downloader.ReadLog(), seederA.Port);
                return sent.Count > 0 && ours.Count >= sent.Count && DateTimeOffset.UtcNow.ToUnixTimeMilliseconds() / 1000.0 - sent[^1].Time >= 1 &&
                    ours.All(r => askedOfB.Contains((r.Piece, r.Begin)));
            }, TimeSpan.FromSeconds(20), "seeder A to choke us, its rejects to reach us, and B to be asked for those blocks",
            () => $"{Summary(seederA.PeerMessages())}{Environment.NewLine}{downloader.Describe()}", cancellationToken: ct);
        // The rest may come fast: B's cap only had to keep the transfer going until then.
        await seederB.SetUploadLimitAsync(0, ct);
        await downloader.WaitForSuccessAsync(TimeSpan.FromSeconds(60), ct);
        DownloadCheck.SameContent(source, output, downloader);

        var fromA = seederA.PeerMessages();
        var fromB = seederB.PeerMessages();
        Assert.That(seederA.Process.JsonLineCount + seederB.Process.JsonLineCount, Is.LessThan(2000), "lt_peer.py lines were dropped: fewer messages");
        var choke = fromA.First(m => m.IsOutgoing && m.Type == "CHOKE" && m.Time >= slotsGoneAt);
        var rejects = fromA.Where(m => m.IsOutgoing && m.Type == "REJECT_PIECE").Select(m => m.Block!.Value).ToList();
        var log = downloader.ReadLog();
        var ourRejects = OurRejects(log, seederA.Port);

        // What B was asked, when (the system clock, as our log's).
        var requestsAtB = fromB.Where(m => !m.IsOutgoing && m.Type == "REQUEST" && m.Block is not null)
            .GroupBy(m => m.Block!.Value).ToDictionary(g => g.Key, g => g.Select(m => m.Time).ToList());
        var delays = new List<double>();
        var neverAskedOfB = new List<(int, int)>();
        foreach (var reject in ourRejects)
        {
            if (!requestsAtB.TryGetValue((reject.Piece, reject.Begin), out var times))
            {
                neverAskedOfB.Add((reject.Piece, reject.Begin));
                continue;
            }
            // Asked of B before (endgame) counts as no delay; the log has milliseconds, so allow 1 ms of rounding.
            delays.Add(times.Any(t => t <= reject.At + 0.001) ? 0 : times.Where(t => t > reject.At).Min() - reject.At);
        }
        delays.Sort();
        TestContext.Out.WriteLine($"seeder A: choke {(choke.Time - slotsGoneAt) * 1000:0} ms after its slots went to 0, {rejects.Count} rejects sent; " +
            $"we logged {ourRejects.Count} rejects, the first {(ourRejects.Count > 0 ? $"{(ourRejects[0].At - choke.Time) * 1000:0}" : "-")} ms after the choke, " +
            $"{ourRejects.Count(r => r.AtOnce)} requested from another peer at once, {ourRejects.Count(r => !r.AtOnce)} back in the pool (taken when a slot frees)");
        if (delays.Count > 0)
        {
            TestContext.Out.WriteLine($"our reject -> request at B: median {delays[delays.Count / 2] * 1000:0} ms, max {delays[^1] * 1000:0} ms over {delays.Count} blocks; " +
                $"B served {seederB.LatestStatus?.TotalPayloadUpload} bytes, A {seederA.LatestStatus?.TotalPayloadUpload}");
        }

        Assert.That(rejects, Is.Not.Empty, $"seeder A sent no reject after its choke: nothing was pending?{Environment.NewLine}{seederA.Process.Describe()}");
        Assert.That(ourRejects.Select(r => (r.Piece, r.Begin)), Is.EquivalentTo(rejects),
            () => $"the rejects we logged are not those seeder A sent{Environment.NewLine}{downloader.Describe()}");
        Assert.That(neverAskedOfB, Is.Empty, "rejected blocks that seeder B was never asked for");
        Assert.That(delays[^1], Is.LessThanOrEqualTo(ReRequestBound.TotalSeconds), "slowest re-request of a rejected block (s)");
        Assert.That(log, Does.Not.Contain("protocol violation"), downloader.Describe());

        // The openings (BEP 6): each seeder said have-all, we (with nothing) said have-none.
        foreach (var (name, messages) in new[] { ("A", fromA), ("B", fromB) })
        {
            Assert.That(messages.Any(m => m.IsOutgoing && m.Type == "HAVE_ALL"), Is.True, $"seeder {name} sent no have-all");
            Assert.That(messages.Any(m => !m.IsOutgoing && m.Type == "HAVE_NONE"), Is.True, $"seeder {name} received no have-none from us");
        }
    }

    [Test]
    public async Task Our_seeder_opens_with_have_all_and_a_libtorrent_leecher_with_have_none(CancellationToken ct)
    {
        RequiredTool.EnsureLibtorrent();
        await using var temp = new TempDirectory("p2pshare-fast-haveall-");
        var source = TestData.CreateFile(temp.Combine("seed", "haveall.bin"), 1024 * 1024 + 3, seed: 72);
        var torrent = await P2PShareClient.CreateTorrentAsync(source, temp.Combine("haveall.torrent"), pieceSizeKiB: PieceSizeKiB, cancellationToken: ct);
        await using var seeder = P2PShareClient.StartSeed(temp.Path, torrent.TorrentPath, temp.Combine("seed"), "--verbose");
        var port = await seeder.WaitUntilListeningAsync(TimeSpan.FromSeconds(30), ct);

        await using var leecher = await LibtorrentPeer.StartAsync(new LibtorrentPeerOptions(torrent.TorrentPath, temp.CreateSubdirectory("leech"))
        {
            Mode = LibtorrentMode.Leech, NoTrackers = true, ConnectTo = [new System.Net.IPEndPoint(System.Net.IPAddress.Loopback, port)],
            LogPeerMessages = "HAVE_ALL,HAVE_NONE,BITFIELD",
        }, ct);
        await leecher.WaitForExitAsync(TimeSpan.FromSeconds(40), ct);
        Assert.That(TestData.Sha256File(temp.Combine("leech", "haveall.bin")), Is.EqualTo(TestData.Sha256File(source)));

        var messages = leecher.PeerMessages();
        TestContext.Out.WriteLine("libtorrent leecher: " + string.Join(", ", messages.Select(m => $"{(m.IsOutgoing ? "sent" : "received")} {m.Type}")));
        Assert.That(messages.Any(m => !m.IsOutgoing && m.Type == "HAVE_ALL"), Is.True, "the leecher received no have-all from our seeder");
        Assert.That(messages.Any(m => !m.IsOutgoing && m.Type == "BITFIELD"), Is.False, "our seeder sent a bitfield to a Fast peer");
        Assert.That(messages.Any(m => m.IsOutgoing && m.Type == "HAVE_NONE"), Is.True, "the leecher sent no have-none");
        Assert.That(seeder.ReadLog(), Does.Match(@"Peer 127\.0\.0\.1:\d+ speaks the Fast extension"), seeder.Describe());
    }

    private sealed record OurReject(int Piece, int Begin, bool AtOnce, double At);

    /// <summary>The rejects our log (--verbose) reports, with their time in Unix seconds.</summary>
    /// <summary>
    /// The rejects we logged from the peer on <paramref name="port"/>: only A's count, since B (rate-capped) may reject a
    /// request of its own accord too (seen once in CI).
    /// </summary>
    private static List<OurReject> OurRejects(string log, int port) =>
        [.. RejectLine().Matches(log).Where(m => m.Groups["peer"].Value.EndsWith($":{port}", StringComparison.Ordinal)).Select(m => new OurReject(
            int.Parse(m.Groups["piece"].Value, CultureInfo.InvariantCulture), int.Parse(m.Groups["begin"].Value, CultureInfo.InvariantCulture),
            m.Groups["where"].Value.StartsWith("requested", StringComparison.Ordinal),
            DateTimeOffset.ParseExact(m.Groups["at"].Value, "yyyy-MM-dd HH:mm:ss.fff zzz", CultureInfo.InvariantCulture).ToUnixTimeMilliseconds() / 1000.0))];

    private static string Summary(IReadOnlyList<LibtorrentPeerMessage> messages) =>
        "seeder A sent/received: " + string.Join(", ", messages.Where(m => m.Type != "REQUEST").Select(m => $"{(m.IsOutgoing ? ">" : "<")}{m.Type} {m.Detail}"));

    // "2026-11-30 08:40:03.712 +00:00 [DBG] (PID) Peer 127.0.0.1:P rejected block 23:16384 (reject 2); requested from 127.0.0.1:Q at once"
    // (or "; back in the pool"): the file log's timestamp, then the message.
    [GeneratedRegex(@"^(?<at>\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{3} [+-]\d\d:\d\d) \[DBG\] (?:\(\d+\) )?Peer ""?(?<peer>[\d.:]+)""? rejected block (?<piece>\d+):(?<begin>\d+) \(reject \d+\); (?<where>requested from|back in the pool)", RegexOptions.Multiline)]
    private static partial Regex RejectLine();
}
