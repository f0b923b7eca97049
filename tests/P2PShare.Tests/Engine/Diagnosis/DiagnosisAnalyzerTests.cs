using System.Net.Sockets;
using P2PShare.Engine;
using P2PShare.Engine.Diagnosis;
using P2PShare.Metainfo;
using P2PShare.Networking.Encryption;
using P2PShare.Protocol.Wire;
using P2PShare.Tests.Support;

namespace P2PShare.Tests.Engine.Diagnosis;

/// <summary>The analyser on hand-built snapshots: each cause from the facts that show it, and nothing from facts that do not.</summary>
public sealed class DiagnosisAnalyzerTests
{
    private const int PieceLength = 64 * 1024;
    private readonly ManualTimeProvider _clock = new();

    private static SwarmFacts Swarm(int pieces = 10, int have = 0) => new()
    {
        PieceCount = pieces,
        PiecesHave = have,
        PieceLength = PieceLength,
        TotalLength = (long)pieces * PieceLength,
        Files = [new TorrentFile(["data.bin"], (long)pieces * PieceLength, 0)],
        PexEnabled = true,
    };

    private static PeerFact Peer(string address = "127.0.0.1:7000", bool choking = false, bool interested = true, bool seed = true,
        int connectedSeconds = 60, double rate = 0, int hashFailures = 0, bool peerInterested = false) =>
        new(address, "libtorrent 2.0", PeerSource.Given, "tcp", TimeSpan.FromSeconds(connectedSeconds), choking, interested, peerInterested, seed,
            seed ? 10 : 3, rate, hashFailures);

    private TorrentDiagnosis Analyze(SwarmFacts swarm, DiagnosisPhase phase = DiagnosisPhase.Downloading, IReadOnlyList<TrackerFact>? trackers = null,
        DhtFact? dht = null, int runningSeconds = 60, TimeSpan? sinceSeed = null) =>
        DiagnosisAnalyzer.Analyze(new DiagnosisSnapshot(phase, swarm, trackers ?? [], dht ?? DhtFact.Off, TimeSpan.FromSeconds(runningSeconds),
            TimeSpan.FromSeconds(30), sinceSeed), _clock);

    [Test]
    public void Every_tracker_failing_with_no_dht_and_no_peers_is_no_source_of_peers_with_each_trackers_error()
    {
        var diagnosis = Analyze(Swarm(), trackers:
        [
            new TrackerFact("http://127.0.0.1:1/announce", true, false, "Connection refused", null),
            new TrackerFact("udp://127.0.0.1:2/announce", true, false, "no answer after 3 tries", null),
        ], dht: new DhtFact(true, 12, 4, 0));

        Assert.That(diagnosis.Findings[0].Code, Is.EqualTo(FindingCodes.NoPeerSource), diagnosis.ToString());
        Assert.That(diagnosis.Findings[0].Message, Does.Contain("every tracker fails").And.Contain("the DHT found no peers after 4 lookups"));
        Assert.That(diagnosis.Findings[0].Evidence, Has.Some.Contain("Connection refused").And.Some.Contain("no answer after 3 tries"));
        Assert.That(diagnosis.Has(FindingCodes.TrackersFailing), diagnosis.ToString());
        Assert.That(diagnosis.Findings.Single(f => f.Code == FindingCodes.TrackersFailing).Severity, Is.EqualTo(FindingSeverity.Problem));
    }

    [Test]
    public void A_private_torrent_says_pex_and_dht_are_not_used()
    {
        var diagnosis = Analyze(Swarm() with { IsPrivate = true, PexEnabled = false },
            trackers: [new TrackerFact("http://t/announce", true, true, null, 0)]);

        var finding = diagnosis.Findings.Single(f => f.Code == FindingCodes.NoPeerSource);
        Assert.That(finding.Message, Does.Contain("trackers gave no peers").And.Contain("PEX disabled (private torrent)").And.Contain("no DHT (private torrent)"));
        Assert.That(diagnosis.Has(FindingCodes.TrackersFailing), Is.False, "a tracker that answers is not failing");
    }

    [Test]
    public void A_seed_that_nobody_finds_is_told_as_info_not_as_a_problem()
    {
        var diagnosis = Analyze(Swarm(have: 10), DiagnosisPhase.Seeding, trackers: [new TrackerFact("http://t/announce", true, true, null, 0)]);
        var finding = diagnosis.Findings.Single(f => f.Code == FindingCodes.NoPeerSource);
        Assert.That(finding.Severity, Is.EqualTo(FindingSeverity.Info), diagnosis.ToString());
        Assert.That(finding.Message, Does.StartWith("seeding, but no source names any peer").And.Contain("trackers gave no peers"));
    }

    [Test]
    public void No_peers_yet_is_not_a_finding_within_the_startup_grace()
    {
        var diagnosis = Analyze(Swarm(), runningSeconds: 1);
        Assert.That(diagnosis.Has(FindingCodes.NoPeerSource), Is.False, diagnosis.ToString());
        Assert.That(diagnosis.Signature, Is.EqualTo(FindingCodes.Waiting));
    }

    [Test]
    public void Failing_trackers_are_a_warning_when_peers_come_from_elsewhere()
    {
        var diagnosis = Analyze(Swarm() with { KnownAddresses = 1, Peers = [Peer(rate: 50_000)] },
            trackers: [new TrackerFact("http://t/announce", true, false, "Connection refused", null)]);
        Assert.That(diagnosis.Findings.Single(f => f.Code == FindingCodes.TrackersFailing).Severity, Is.EqualTo(FindingSeverity.Warning));
        Assert.That(diagnosis.Has(FindingCodes.NoPeerSource), Is.False);
    }

    [TestCase(DialFailureKind.Refused, FindingCodes.ConnectRefused, "refused")]
    [TestCase(DialFailureKind.TimedOut, FindingCodes.ConnectTimeout, "time out")]
    [TestCase(DialFailureKind.EncryptionMismatch, FindingCodes.EncryptionMismatch, "require encryption")]
    [TestCase(DialFailureKind.Handshake, FindingCodes.HandshakeFailed, "handshake")]
    [TestCase(DialFailureKind.Transport, FindingCodes.TransportFailed, "transport")]
    public void Known_peers_that_do_not_connect_are_named_by_the_commonest_reason(object kindCase, string code, string words)
    {
        var kind = (DialFailureKind)kindCase;   // object: a public test method cannot name the internal enum
        var other = kind == DialFailureKind.Refused ? DialFailureKind.TimedOut : DialFailureKind.Refused;
        var diagnosis = Analyze(Swarm() with
        {
            KnownAddresses = 4,
            Encryption = "disable",
            FailuresByKind = new Dictionary<DialFailureKind, int> { [kind] = 3, [other] = 1 },
            DialFailures = [new DialFailureFact("127.0.0.1:9", PeerSource.Tracker, other, "other", 1), new DialFailureFact("127.0.0.1:7", PeerSource.Given, kind, "the reason", 2)],
        });

        var finding = diagnosis.Findings[0];
        Assert.That(finding.Code, Is.EqualTo(code), diagnosis.ToString());
        Assert.That(finding.Message, Does.Contain(words).And.Contain("(3 of 4)"));
        Assert.That(finding.Evidence[0], Does.Contain("4 addresses known").And.Contain("3 "));
        Assert.That(finding.Evidence[1], Does.StartWith("127.0.0.1:7 (from given): the reason (2 dials)"), "the commonest reason's examples first");
    }

    [Test]
    public void Peers_with_what_we_want_all_choking_us_past_the_grace_is_all_choked()
    {
        var swarm = Swarm() with { KnownAddresses = 2, Peers = [Peer("a:1", choking: true, connectedSeconds: 25), Peer("b:2", choking: true, connectedSeconds: 90, seed: false)] };
        var diagnosis = Analyze(swarm);
        Assert.That(diagnosis.Findings[0].Code, Is.EqualTo(FindingCodes.AllChoked), diagnosis.ToString());
        Assert.That(diagnosis.Findings[0].Evidence, Has.Count.EqualTo(2).And.Some.Contain("a:1").And.Some.Contain("choking us for 90 s"));

        var young = swarm with { Peers = [Peer("a:1", choking: true, connectedSeconds: 5), Peer("b:2", choking: true, connectedSeconds: 90)] };
        Assert.That(Analyze(young).Has(FindingCodes.AllChoked), Is.False, "a peer may still unchoke us at its next rechoke");
        var oneUnchokes = swarm with { Peers = [Peer("a:1", choking: false), Peer("b:2", choking: true)] };
        Assert.That(Analyze(oneUnchokes).Has(FindingCodes.AllChoked), Is.False);
    }

    [Test]
    public void Missing_pieces_nobody_connected_has_are_named_with_their_files_and_bytes()
    {
        // Three files over 10 pieces of 64 KiB; the last is a 100-byte tail. Pieces 7, 8, 9 are nobody's.
        var total = 9L * PieceLength + 100;
        var swarm = Swarm(pieces: 10, have: 6) with
        {
            TotalLength = total,
            Files =
            [
                new TorrentFile(["dir", "a.bin"], 7L * PieceLength, 0),
                new TorrentFile(["dir", "b.bin"], PieceLength + 50, 7L * PieceLength),
                new TorrentFile(["dir", "c.bin"], total - 8L * PieceLength - 50, 8L * PieceLength + 50),
            ],
            KnownAddresses = 1,
            Peers = [Peer(seed: false, rate: 0)],
            UnavailablePieces = [7, 8, 9],
        };
        var diagnosis = Analyze(swarm);
        var finding = diagnosis.Findings.Single(f => f.Code == FindingCodes.PiecesUnavailable);
        Assert.That(finding.Message, Does.StartWith("3 pieces (128.1 KiB, in 2 files) are available from no connected peer"));
        Assert.That(finding.Evidence, Does.Contain("dir/b.bin: 64.0 KiB missing from the swarm"));
        Assert.That(DiagnosisAnalyzer.FilesAffected(swarm, [7, 8, 9]), Is.EqualTo(new[] { ("dir/b.bin", (long)PieceLength + 50), ("dir/c.bin", (long)PieceLength - 50 + 100) }));
    }

    [Test]
    public void With_nobody_connected_missing_pieces_are_a_finding_only_after_a_seed_left()
    {
        var swarm = Swarm(pieces: 10, have: 6) with { UnavailablePieces = [6, 7, 8, 9], KnownAddresses = 1 };
        Assert.That(Analyze(swarm).Has(FindingCodes.PiecesUnavailable), Is.False);
        var diagnosis = Analyze(swarm, sinceSeed: TimeSpan.FromSeconds(12));
        var finding = diagnosis.Findings.Single(f => f.Code == FindingCodes.PiecesUnavailable);
        Assert.That(finding.Message, Does.Contain("available from nobody"));
        Assert.That(finding.Evidence, Does.Contain("the last seed left 12 s ago"));
    }

    [Test]
    public void A_rate_at_its_limit_is_the_cap_and_one_well_below_is_not()
    {
        var swarm = Swarm() with { KnownAddresses = 1, Peers = [Peer(rate: 95_000)], Rates = new RateFact(95_000, 100_000, 0, 0) };
        var finding = Analyze(swarm).Findings.Single(f => f.Code == FindingCodes.RateLimited);
        Assert.That(finding.Message, Does.Contain("download rate limit is the cap").And.Contain("97.7 KiB/s allowed"));
        Assert.That(Analyze(swarm with { Rates = new RateFact(40_000, 100_000, 0, 0) }).Has(FindingCodes.RateLimited), Is.False);
        Assert.That(Analyze(swarm with { Rates = new RateFact(95_000, 0, 0, 0) }).Has(FindingCodes.RateLimited), Is.False, "no limit, no cap");
    }

    [Test]
    public void A_full_disk_queue_or_slow_writes_make_the_disk_the_bottleneck()
    {
        var swarm = Swarm() with { KnownAddresses = 1, Peers = [Peer(rate: 1e6)] };
        Assert.That(Analyze(swarm with { Disk = new DiskFact(1 << 20, 64 << 20, 0, true, 20) }).Has(FindingCodes.DiskBottleneck), Is.False);
        var full = Analyze(swarm with { Disk = new DiskFact(64 << 20, 64 << 20, 3, false, 200) }).Findings.Single(f => f.Code == FindingCodes.DiskBottleneck);
        Assert.That(full.Evidence, Does.Contain("3 completed pieces wait for room"));
        Assert.That(Analyze(swarm with { Disk = new DiskFact(0, 64 << 20, 0, true, 2500) }).Has(FindingCodes.DiskBottleneck), "slow writes");
    }

    [Test]
    public void A_peer_failing_hash_checks_again_and_again_is_named()
    {
        var swarm = Swarm() with { KnownAddresses = 2, Peers = [Peer("good:1", rate: 1e5), Peer("liar:2", hashFailures: 3), Peer("once:3", hashFailures: 1)] };
        var failures = Analyze(swarm).Findings.Where(f => f.Code == FindingCodes.HashFailures).ToList();
        Assert.That(failures, Has.Count.EqualTo(1));
        Assert.That(failures[0].Message, Does.Contain("liar:2").And.Contain("3 pieces"));
    }

    [Test]
    public void Metadata_phase_with_peers_that_offer_nothing()
    {
        var swarm = new SwarmFacts { KnownAddresses = 1, Peers = [Peer(interested: false, seed: false)], Metadata = new MetadataFact(0, 0, 0), PexEnabled = true };
        var diagnosis = Analyze(swarm, DiagnosisPhase.FetchingMetadata);
        Assert.That(diagnosis.Findings[0].Code, Is.EqualTo(FindingCodes.MetadataWaiting), diagnosis.ToString());
        Assert.That(Analyze(swarm with { Metadata = new MetadataFact(1, 2, 4) }, DiagnosisPhase.FetchingMetadata).Has(FindingCodes.MetadataWaiting), Is.False);
    }

    [Test]
    public void A_healthy_download_and_a_seed_nobody_wants_say_so()
    {
        var downloading = Analyze(Swarm() with { KnownAddresses = 1, Peers = [Peer(rate: 2e6)], Rates = new RateFact(2e6, 0, 0, 0) });
        Assert.That(downloading.Signature, Is.EqualTo(FindingCodes.Downloading));
        Assert.That(downloading.Findings[0].Severity, Is.EqualTo(FindingSeverity.Info));
        var seeding = Analyze(Swarm(have: 10) with { KnownAddresses = 1, Peers = [Peer(interested: false)] }, DiagnosisPhase.Seeding);
        Assert.That(seeding.Signature, Is.EqualTo(FindingCodes.NobodyInterested));
    }

    [Test]
    public void Findings_are_ordered_most_severe_first_and_evidence_is_bounded()
    {
        var peers = Enumerable.Range(0, 30).Select(i => Peer($"p{i}:1", choking: true)).ToList();
        var diagnosis = Analyze(Swarm() with { KnownAddresses = 30, Peers = peers, Rates = new RateFact(0, 0, 100_000, 100_000) });
        Assert.That(diagnosis.Findings.Select(f => f.Severity), Is.Ordered.Descending);
        var choked = diagnosis.Findings.Single(f => f.Code == FindingCodes.AllChoked);
        Assert.That(choked.Evidence, Has.Count.EqualTo(DiagnosisOptions.Default.MaxEvidence));
        Assert.That(choked.Evidence[^1], Does.Contain("23 more"));
        Assert.That(diagnosis.At, Is.EqualTo(_clock.GetUtcNow()));
    }

    [Test]
    public void Dial_errors_are_classified()
    {
        Assert.That(DialFailureClassifier.Classify(new SocketException((int)SocketError.ConnectionRefused)), Is.EqualTo(DialFailureKind.Refused));
        Assert.That(DialFailureClassifier.Classify(new SocketException((int)SocketError.TimedOut)), Is.EqualTo(DialFailureKind.TimedOut));
        Assert.That(DialFailureClassifier.Classify(new SocketException((int)SocketError.NetworkUnreachable)), Is.EqualTo(DialFailureKind.Unreachable));
        Assert.That(DialFailureClassifier.Classify(new SocketException((int)SocketError.ConnectionReset)), Is.EqualTo(DialFailureKind.Transport));
        Assert.That(DialFailureClassifier.Classify(new TimeoutException("no handshake")), Is.EqualTo(DialFailureKind.TimedOut));
        Assert.That(DialFailureClassifier.Classify(new MseHandshakeException("no MSE")), Is.EqualTo(DialFailureKind.EncryptionMismatch));
        Assert.That(DialFailureClassifier.Classify(new PeerProtocolException("connection closed during the handshake (the peer may require encryption, which is disabled)")),
            Is.EqualTo(DialFailureKind.EncryptionMismatch));
        Assert.That(DialFailureClassifier.Classify(new PeerProtocolException("wrong info-hash")), Is.EqualTo(DialFailureKind.Handshake));
        Assert.That(DialFailureClassifier.Classify(new IOException("reset", new SocketException((int)SocketError.ConnectionRefused))), Is.EqualTo(DialFailureKind.Refused));
        Assert.That(DialFailureClassifier.Classify(new AggregateException(new TimeoutException())), Is.EqualTo(DialFailureKind.TimedOut));
    }
}
