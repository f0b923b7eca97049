namespace P2PShare.Engine.Diagnosis;

/// <summary>The rules about connected peers and what caps a running transfer.</summary>
internal static partial class DiagnosisAnalyzer
{
    /// <summary>Peers that have what we want, all choking us, each for longer than the grace: they never unchoke us.</summary>
    private static void Choking(DiagnosisSnapshot snapshot, DiagnosisOptions options, List<Finding> findings)
    {
        var wanted = snapshot.Swarm.Peers.Where(p => p.AmInterested).ToList();
        if (wanted.Count == 0 || wanted.Any(p => !p.PeerChoking))
            return;
        var shortest = wanted.Min(p => p.ConnectedFor);
        if (shortest < options.ChokedGrace)
            return;
        findings.Add(new Finding(FindingCodes.AllChoked, FindingSeverity.Problem,
            $"connected to {wanted.Count} peer{Plural(wanted.Count)} that ha{(wanted.Count == 1 ? "s" : "ve")} pieces we want, but all choke us (for {Seconds(shortest)} or more)",
            Limit(wanted.Select(p => $"{p.Address} ({p.Client}, {(p.IsSeed ? "seed" : $"{p.PiecesHave} pieces")}): choking us for {Seconds(p.ConnectedFor)}, we are interested"), options)));
    }

    /// <summary>Pieces we lack that no connected peer has: which files and how many bytes.</summary>
    private static void Availability(DiagnosisSnapshot snapshot, List<Finding> findings)
    {
        var swarm = snapshot.Swarm;
        var missing = swarm.UnavailablePieces;
        // With nobody connected every piece is "available from nobody"; that says something only if a seed was here.
        if (missing.Count == 0 || (swarm.Peers.Count == 0 && snapshot.SinceSeedSeen is null))
            return;
        var bytes = 0L;
        foreach (var piece in missing)
            bytes += PieceSize(swarm, piece);
        var files = FilesAffected(swarm, missing);
        var evidence = new List<string>();
        if (swarm.Peers.Count > 0)
            evidence.Add($"{swarm.Peers.Count} peer{Plural(swarm.Peers.Count)} connected, {swarm.Peers.Count(p => p.IsSeed)} seeds");
        if (snapshot.SinceSeedSeen is { } since)
            evidence.Add($"the last seed left {Seconds(since)} ago");
        evidence.AddRange(files.Take(6).Select(f => $"{f.Path}: {Bytes(f.Bytes)} missing from the swarm"));
        if (files.Count > 6)
            evidence.Add($"… and {files.Count - 6} more files");
        var whom = swarm.Peers.Count == 0 ? "nobody (no peer is connected)" : "no connected peer";
        findings.Add(new Finding(FindingCodes.PiecesUnavailable, FindingSeverity.Problem,
            $"{missing.Count} piece{Plural(missing.Count)} ({Bytes(bytes)}, in {files.Count} file{Plural(files.Count)}) {(missing.Count == 1 ? "is" : "are")} available from {whom}: "
            + "the swarm has no full copy", evidence));
    }

    private static long PieceSize(SwarmFacts swarm, int piece)
    {
        var start = (long)piece * swarm.PieceLength;
        return Math.Max(0, Math.Min(swarm.PieceLength, swarm.TotalLength - start));
    }

    /// <summary>Bytes of each (non-padding) file that the given pieces cover, largest first.</summary>
    internal static List<(string Path, long Bytes)> FilesAffected(SwarmFacts swarm, IReadOnlyList<int> pieces)
    {
        var perFile = new Dictionary<int, long>();
        var files = swarm.Files;
        if (files.Count == 0 || swarm.PieceLength <= 0)
            return [];
        foreach (var piece in pieces)
        {
            var start = (long)piece * swarm.PieceLength;
            var end = start + PieceSize(swarm, piece);
            // Files are in offset order: find the first that ends after the piece starts.
            var low = 0;
            var high = files.Count - 1;
            while (low < high)
            {
                var mid = (low + high) / 2;
                if (files[mid].Offset + files[mid].Length <= start)
                    low = mid + 1;
                else
                    high = mid;
            }
            for (var i = low; i < files.Count && files[i].Offset < end; i++)
            {
                var file = files[i];
                var overlap = Math.Min(end, file.Offset + file.Length) - Math.Max(start, file.Offset);
                if (overlap > 0 && !file.IsPadding)
                    perFile[i] = perFile.GetValueOrDefault(i) + overlap;
            }
        }
        return perFile.OrderByDescending(p => p.Value).ThenBy(p => p.Key)
            .Select(p => (string.Join('/', files[p.Key].PathSegments), p.Value)).ToList();
    }

    private static void Interest(DiagnosisSnapshot snapshot, List<Finding> findings)
    {
        var peers = snapshot.Swarm.Peers;
        if (peers.Count == 0 || peers.Any(p => p.PeerInterested))
            return;
        findings.Add(new Finding(FindingCodes.NobodyInterested, FindingSeverity.Info,
            $"seeding: none of the {peers.Count} connected peer{Plural(peers.Count)} wants anything from us",
            [$"{peers.Count(p => p.IsSeed)} of them are seeds"]));
    }

    /// <summary>What caps a transfer that runs: a rate limit, the disk.</summary>
    private static void Caps(DiagnosisSnapshot snapshot, DiagnosisOptions options, List<Finding> findings)
    {
        var rates = snapshot.Swarm.Rates;
        if (snapshot.Phase == DiagnosisPhase.Downloading && rates.DownloadLimit > 0 && rates.DownloadRate >= options.RateLimitShare * rates.DownloadLimit)
        {
            findings.Add(new Finding(FindingCodes.RateLimited, FindingSeverity.Warning,
                $"the download rate limit is the cap: {Bytes(rates.DownloadRate)}/s of {Bytes(rates.DownloadLimit)}/s allowed (--max-download-rate)",
                [$"{snapshot.Swarm.Peers.Count} peers connected; {snapshot.Swarm.Peers.Count(p => !p.PeerChoking)} unchoke us"]));
        }
        if (rates.UploadLimit > 0 && rates.UploadRate >= options.RateLimitShare * rates.UploadLimit)
        {
            findings.Add(new Finding(FindingCodes.RateLimited, snapshot.Phase == DiagnosisPhase.Seeding ? FindingSeverity.Warning : FindingSeverity.Info,
                $"the upload rate limit is the cap: {Bytes(rates.UploadRate)}/s of {Bytes(rates.UploadLimit)}/s allowed (--max-upload-rate)",
                [$"{snapshot.Swarm.Peers.Count(p => p.PeerInterested)} peers want data from us"]));
        }
        if (snapshot.Swarm.Disk is { } disk && snapshot.Phase != DiagnosisPhase.FetchingMetadata)
        {
            var slow = disk.AverageJobMilliseconds is { } ms && ms >= options.SlowDiskJobMilliseconds;
            if (!disk.HasRoom || disk.WaitingProducers > 0 || slow)
            {
                var evidence = new List<string> { $"disk queue holds {Bytes(disk.BytesHeld)} of its {Bytes(disk.BudgetBytes)} budget" };
                if (disk.WaitingProducers > 0)
                    evidence.Add($"{disk.WaitingProducers} completed piece{Plural(disk.WaitingProducers)} wait for room");
                if (!disk.HasRoom)
                    evidence.Add("peer connections are not read until the queue has room");
                if (disk.AverageJobMilliseconds is { } average)
                    evidence.Add(string.Create(System.Globalization.CultureInfo.InvariantCulture, $"hashing and writing a piece takes {average:0} ms on average"));
                findings.Add(new Finding(FindingCodes.DiskBottleneck, FindingSeverity.Warning, "the disk is the bottleneck: pieces arrive faster than they are written", evidence));
            }
        }
    }

    private static void HashFailures(DiagnosisSnapshot snapshot, DiagnosisOptions options, List<Finding> findings)
    {
        foreach (var peer in snapshot.Swarm.Peers.Where(p => p.HashFailures >= options.HashFailureThreshold).OrderByDescending(p => p.HashFailures))
        {
            findings.Add(new Finding(FindingCodes.HashFailures, FindingSeverity.Warning,
                $"peer {peer.Address} ({peer.Client}) keeps sending bad data: {peer.HashFailures} pieces it sent failed the hash check",
                [$"it is banned once it is clearly to blame; its data is never stored"]));
        }
    }

    /// <summary>No problem found: say what is going on, so an empty diagnosis never reads as "nothing known".</summary>
    private static void Healthy(DiagnosisSnapshot snapshot, DiagnosisOptions options, List<Finding> findings)
    {
        var swarm = snapshot.Swarm;
        var unchoking = swarm.Peers.Count(p => !p.PeerChoking);
        if (snapshot.Phase == DiagnosisPhase.Seeding)
        {
            if (!findings.Any(f => f.Code == FindingCodes.NobodyInterested))
                findings.Add(new Finding(FindingCodes.Seeding, FindingSeverity.Info,
                    $"seeding to {swarm.Peers.Count(p => p.PeerInterested)} interested peer{Plural(swarm.Peers.Count(p => p.PeerInterested))} at {Bytes(swarm.Rates.UploadRate)}/s", []));
            return;
        }
        if (swarm.Rates.DownloadRate > 0 || unchoking > 0)
        {
            findings.Add(new Finding(FindingCodes.Downloading, FindingSeverity.Info,
                $"downloading at {Bytes(swarm.Rates.DownloadRate)}/s from {unchoking} of {swarm.Peers.Count} connected peer{Plural(swarm.Peers.Count)}",
                [$"{swarm.PiecesHave}/{swarm.PieceCount} pieces"]));
            return;
        }
        var evidence = new List<string>
        {
            $"{swarm.KnownAddresses} addresses known, {swarm.Connecting} being dialled, {swarm.Peers.Count} connected",
            $"no data for {Seconds(snapshot.SinceProgress)}",
        };
        findings.Add(new Finding(FindingCodes.Waiting, FindingSeverity.Info, "waiting for peers to connect and unchoke us", evidence));
    }
}
