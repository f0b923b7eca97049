using System.Globalization;

namespace P2PShare.Engine.Diagnosis;

/// <summary>
/// Turns a <see cref="DiagnosisSnapshot"/> into findings: where peers should come from and why none does, why known
/// peers do not connect, why connected peers give nothing (all choke us, nobody has the missing pieces), and what caps
/// a running transfer (a rate limit, the disk, a peer sending bad data). Pure: the same snapshot gives the same findings.
/// </summary>
internal static partial class DiagnosisAnalyzer
{
    public static TorrentDiagnosis Analyze(DiagnosisSnapshot snapshot, TimeProvider time, DiagnosisOptions? options = null)
    {
        options ??= DiagnosisOptions.Default;
        var findings = new List<Finding>();
        if (snapshot.Phase == DiagnosisPhase.FetchingMetadata)
            Metadata(snapshot, options, findings);
        PeerSources(snapshot, options, findings);
        Connections(snapshot, options, findings);
        if (snapshot.Phase == DiagnosisPhase.Downloading)
        {
            Choking(snapshot, options, findings);
            Availability(snapshot, findings);
        }
        if (snapshot.Phase == DiagnosisPhase.Seeding)
            Interest(snapshot, findings);
        Caps(snapshot, options, findings);
        HashFailures(snapshot, options, findings);
        if (!findings.Any(f => f.Severity != FindingSeverity.Info))
            Healthy(snapshot, options, findings);
        var ordered = findings.OrderByDescending(f => f.Severity).ToList();
        return new TorrentDiagnosis(time.GetUtcNow(), ordered);
    }

    private static void Metadata(DiagnosisSnapshot snapshot, DiagnosisOptions options, List<Finding> findings)
    {
        var meta = snapshot.Swarm.Metadata;
        var connected = snapshot.Swarm.Peers.Count;
        if (meta is null || meta.PeersWithMetadata > 0 || connected == 0)
            return;
        findings.Add(new Finding(FindingCodes.MetadataWaiting, FindingSeverity.Problem,
            $"downloading metadata: {connected} peer{Plural(connected)} connected, none offers the torrent's info dictionary",
            Limit(snapshot.Swarm.Peers.Select(p => $"{p.Address} ({p.Client}) has not offered metadata (ut_metadata)"), options)));
    }

    /// <summary>No address known at all: every source of peers and what it did.</summary>
    private static void PeerSources(DiagnosisSnapshot snapshot, DiagnosisOptions options, List<Finding> findings)
    {
        var swarm = snapshot.Swarm;
        var announced = snapshot.Trackers.Where(t => t.Announced).ToList();
        var allFail = announced.Count > 0 && announced.All(t => !t.Succeeded) && announced.Count == snapshot.Trackers.Count;
        var trackerLines = snapshot.Trackers.Select(t => !t.Announced ? $"tracker {t.Url}: no answer yet"
            : t.Succeeded ? $"tracker {t.Url}: ok, {t.LastPeerCount ?? 0} peers" : $"tracker {t.Url}: {t.Error ?? "failed"}").ToList();
        var noPeers = swarm.KnownAddresses == 0 && swarm.Peers.Count == 0 && snapshot.Running >= options.StartupGrace;
        if (noPeers)
        {
            var evidence = new List<string>();
            evidence.AddRange(snapshot.Trackers.Count == 0 ? ["no trackers in the torrent"] : trackerLines);
            evidence.Add(DhtLine(snapshot.Dht, swarm.IsPrivate));
            evidence.Add(swarm.PexEnabled ? "PEX: no connected peer to exchange with" : "PEX: disabled (private torrent)");
            // A seed that nobody finds loses nothing (the data is here): worth saying, not alarming.
            var seeding = snapshot.Phase == DiagnosisPhase.Seeding;
            findings.Add(new Finding(FindingCodes.NoPeerSource, seeding ? FindingSeverity.Info : FindingSeverity.Problem,
                seeding ? $"seeding, but no source names any peer: {SourcesSummary(snapshot, allFail)}" : $"no source of peers works: {SourcesSummary(snapshot, allFail)}",
                evidence));
        }
        if (allFail)
        {
            // With peers from elsewhere the torrent goes on; the trackers still deserve a line.
            var severity = swarm.Peers.Count == 0 ? FindingSeverity.Problem : FindingSeverity.Warning;
            findings.Add(new Finding(FindingCodes.TrackersFailing, severity,
                announced.Count == 1 ? $"the tracker fails: {announced[0].Error ?? "no answer"}" : $"every tracker fails ({announced.Count})",
                Limit(trackerLines, options)));
        }
    }

    private static string SourcesSummary(DiagnosisSnapshot snapshot, bool allTrackersFail)
    {
        var parts = new List<string>
        {
            snapshot.Trackers.Count == 0 ? "no trackers" : allTrackersFail ? "every tracker fails" : "trackers gave no peers",
            !snapshot.Dht.Enabled ? (snapshot.Swarm.IsPrivate ? "no DHT (private torrent)" : "DHT off")
                : snapshot.Dht.Lookups == 0 ? "no DHT lookup finished yet" : $"the DHT found no peers after {snapshot.Dht.Lookups} lookup{Plural(snapshot.Dht.Lookups)}",
        };
        if (!snapshot.Swarm.PexEnabled)
            parts.Add("PEX disabled (private torrent)");
        return string.Join(", ", parts);
    }

    private static string DhtLine(DhtFact dht, bool isPrivate) =>
        !dht.Enabled ? (isPrivate ? "DHT: not used (private torrent)" : "DHT: off")
        : $"DHT: {dht.Nodes} nodes, {dht.Lookups} lookups, {dht.PeersFound} peers found";

    /// <summary>Addresses known, none connected: why the dials fail (the most common reason names the finding).</summary>
    private static void Connections(DiagnosisSnapshot snapshot, DiagnosisOptions options, List<Finding> findings)
    {
        var swarm = snapshot.Swarm;
        if (swarm.Peers.Count > 0 || swarm.KnownAddresses == 0 || swarm.FailuresByKind.Count == 0)
            return;
        var (kind, count) = swarm.FailuresByKind.OrderByDescending(p => p.Value).ThenBy(p => p.Key).First();
        var failed = swarm.FailuresByKind.Values.Sum();
        var (code, why) = kind switch
        {
            DialFailureKind.Refused => (FindingCodes.ConnectRefused, "the connection is refused (nothing listens at the address: the peer left or its port is closed)"),
            DialFailureKind.TimedOut => (FindingCodes.ConnectTimeout, "dials time out (the peer is gone, firewalled, or its port is not reachable from here)"),
            DialFailureKind.EncryptionMismatch => (FindingCodes.EncryptionMismatch, swarm.Encryption == "disable"
                ? "the peers close plain handshakes: they require encryption, which is disabled (--encryption disable)"
                : $"the encryption handshake fails (our policy: {swarm.Encryption}; the peer may refuse or not support it)"),
            DialFailureKind.Handshake => (FindingCodes.HandshakeFailed, "the BitTorrent handshake fails (a different torrent, or not a BitTorrent peer)"),
            DialFailureKind.Unreachable => (FindingCodes.Unreachable, "the addresses are unreachable (no route)"),
            _ => (FindingCodes.TransportFailed, "the transport fails (connection reset, or uTP/TCP not answered)"),
        };
        var evidence = new List<string>
        {
            $"{swarm.KnownAddresses} address{(swarm.KnownAddresses == 1 ? "" : "es")} known, {swarm.Connecting} being dialled, {failed} failed: "
                + string.Join(", ", swarm.FailuresByKind.OrderByDescending(p => p.Value).Select(p => $"{p.Value} {KindName(p.Key)}")),
        };
        evidence.AddRange(swarm.DialFailures.Where(f => f.Kind == kind).Concat(swarm.DialFailures.Where(f => f.Kind != kind))
            .Select(f => $"{f.Address} (from {f.Source.ToString().ToLowerInvariant()}): {f.Message}{(f.Failures > 1 ? $" ({f.Failures} dials)" : "")}"));
        evidence.Add("no peer is connected to us either (if peers should dial us, our port may not be reachable from outside)");
        findings.Add(new Finding(code, FindingSeverity.Problem,
            $"peers are known but none connects: {why}{(count < failed ? $" ({count} of {failed})" : "")}", Limit(evidence, options)));
    }

    private static string KindName(DialFailureKind kind) => kind switch
    {
        DialFailureKind.Refused => "refused",
        DialFailureKind.TimedOut => "timed out",
        DialFailureKind.EncryptionMismatch => "encryption mismatch",
        DialFailureKind.Handshake => "bad handshake",
        DialFailureKind.Unreachable => "unreachable",
        _ => "transport error",
    };

    internal static List<string> Limit(IEnumerable<string> lines, DiagnosisOptions options)
    {
        var all = lines.ToList();
        if (all.Count <= options.MaxEvidence)
            return all;
        var kept = all.Take(options.MaxEvidence - 1).ToList();
        kept.Add($"… and {all.Count - kept.Count} more");
        return kept;
    }

    internal static string Plural(int count) => count == 1 ? "" : "s";

    internal static string Bytes(double bytes)
    {
        string[] units = ["B", "KiB", "MiB", "GiB", "TiB"];
        var unit = 0;
        while (bytes >= 1024 && unit < units.Length - 1)
        {
            bytes /= 1024;
            unit++;
        }
        return unit == 0 ? string.Create(CultureInfo.InvariantCulture, $"{bytes:0} B") : string.Create(CultureInfo.InvariantCulture, $"{bytes:0.0} {units[unit]}");
    }

    internal static string Seconds(TimeSpan span) => string.Create(CultureInfo.InvariantCulture, $"{span.TotalSeconds:0} s");
}
