using System.Net;
using System.Text.Json;
using P2PShare.Engine;
using P2PShare.Protocol;

namespace P2PShare.Cli.Rpc;

/// <summary>torrent-get's list fields: files and their progress, selection, peers, trackers.</summary>
internal static class TorrentFileFields
{
    public static void WriteFiles(Utf8JsonWriter writer, TorrentView view)
    {
        writer.WriteStartArray();
        if (view.Metainfo is { } metainfo)
        {
            var completed = BytesCompleted(view);
            var multi = metainfo.IsMultiFile;
            for (var i = 0; i < metainfo.Files.Count; i++)
            {
                var file = metainfo.Files[i];
                writer.WriteStartObject();
                writer.WriteNumber("bytesCompleted"u8, completed[i]);
                writer.WriteNumber("length"u8, file.Length);
                writer.WriteString("name"u8, multi ? metainfo.Name + "/" + file.DisplayPath : file.DisplayPath);
                writer.WriteEndObject();
            }
        }
        writer.WriteEndArray();
    }

    public static void WriteFileStats(Utf8JsonWriter writer, TorrentView view)
    {
        writer.WriteStartArray();
        if (view.Metainfo is { } metainfo)
        {
            var completed = BytesCompleted(view);
            var entry = view.Torrent.Entry;
            for (var i = 0; i < metainfo.Files.Count; i++)
            {
                writer.WriteStartObject();
                writer.WriteNumber("bytesCompleted"u8, completed[i]);
                writer.WriteBoolean("wanted"u8, !entry.Unwanted.Contains(i));
                writer.WriteNumber("priority"u8, i < entry.Priorities.Count ? entry.Priorities[i] : 0);
                writer.WriteEndObject();
            }
        }
        writer.WriteEndArray();
    }

    public static void WriteWanted(Utf8JsonWriter writer, TorrentView view)
    {
        writer.WriteStartArray();
        var unwanted = view.Torrent.Entry.Unwanted;
        for (var i = 0; i < (view.Metainfo?.Files.Count ?? 0); i++)
            writer.WriteNumberValue(unwanted.Contains(i) ? 0 : 1);
        writer.WriteEndArray();
    }

    public static void WritePriorities(Utf8JsonWriter writer, TorrentView view)
    {
        writer.WriteStartArray();
        var priorities = view.Torrent.Entry.Priorities;
        for (var i = 0; i < (view.Metainfo?.Files.Count ?? 0); i++)
            writer.WriteNumberValue(i < priorities.Count ? priorities[i] : 0);
        writer.WriteEndArray();
    }

    public static void WritePeers(Utf8JsonWriter writer, TorrentView view)
    {
        writer.WriteStartArray();
        foreach (var peer in view.Peers)
        {
            if (peer.Source == PeerSource.WebSeed)
                continue;
            var endPoint = IPEndPoint.TryParse(peer.Address, out var parsed) ? parsed : null;
            writer.WriteStartObject();
            writer.WriteString("address"u8, endPoint?.Address.ToString() ?? peer.Address);
            writer.WriteNumber("port"u8, endPoint?.Port ?? 0);
            writer.WriteString("clientName"u8, peer.Client);
            writer.WriteBoolean("clientIsChoked"u8, !peer.Flags.Contains('U'));
            writer.WriteBoolean("clientIsInterested"u8, peer.Flags.Contains('i'));
            writer.WriteBoolean("peerIsChoked"u8, !peer.Flags.Contains('D'));
            writer.WriteBoolean("peerIsInterested"u8, peer.Flags.Contains('I'));
            writer.WriteString("flagStr"u8, peer.Flags);
            writer.WriteBoolean("isDownloadingFrom"u8, peer.DownloadRate > 0);
            writer.WriteBoolean("isUploadingTo"u8, peer.UploadRate > 0);
            writer.WriteBoolean("isEncrypted"u8, peer.Transport.Contains("rc4", StringComparison.Ordinal));
            writer.WriteBoolean("isIncoming"u8, peer.Flags.Contains('x'));
            writer.WriteBoolean("isUTP"u8, peer.Transport.StartsWith("utp", StringComparison.Ordinal));
            writer.WriteNumber("progress"u8, Math.Round(peer.PiecesFraction, 4));
            writer.WriteNumber("rateToClient"u8, (long)peer.DownloadRate);
            writer.WriteNumber("rateToPeer"u8, (long)peer.UploadRate);
            writer.WriteString("peerSource"u8, peer.Source.ToString().ToLowerInvariant());
            writer.WriteEndObject();
        }
        writer.WriteEndArray();
    }

    public static void WritePeersFrom(Utf8JsonWriter writer, TorrentView view)
    {
        var peers = view.Peers;
        writer.WriteStartObject();
        writer.WriteNumber("fromCache"u8, peers.Count(p => p.Source == PeerSource.Resume));
        writer.WriteNumber("fromDht"u8, peers.Count(p => p.Source == PeerSource.Dht));
        writer.WriteNumber("fromIncoming"u8, peers.Count(p => p.Source == PeerSource.Incoming));
        writer.WriteNumber("fromLpd"u8, 0);
        writer.WriteNumber("fromLtep"u8, 0);
        writer.WriteNumber("fromPex"u8, peers.Count(p => p.Source == PeerSource.Pex));
        writer.WriteNumber("fromTracker"u8, peers.Count(p => p.Source == PeerSource.Tracker));
        writer.WriteEndObject();
    }

    public static void WriteTrackers(Utf8JsonWriter writer, TorrentView view) =>
        WriteEachTracker(writer, view, (url, tier, id) =>
        {
            writer.WriteString("announce"u8, url);
            writer.WriteNumber("id"u8, id);
            writer.WriteString("scrape"u8, "");
            writer.WriteNumber("tier"u8, tier);
        });

    /// <summary>What the running torrent's tracker manager knows of each tracker (nothing yet for a stopped torrent).</summary>
    public static void WriteTrackerStats(Utf8JsonWriter writer, TorrentView view)
    {
        var statuses = view.Running ? view.Torrent.Managed.Runner?.TrackerStatuses() ?? [] : [];
        WriteEachTracker(writer, view, (url, tier, id) =>
        {
            var status = statuses.FirstOrDefault(s => s.Url == url);
            var announced = status?.LastAnnounce is not null;
            writer.WriteString("announce"u8, url);
            writer.WriteString("host"u8, Uri.TryCreate(url, UriKind.Absolute, out var uri) ? $"{uri.Scheme}://{uri.Authority}" : url);
            writer.WriteNumber("id"u8, id);
            writer.WriteNumber("tier"u8, tier);
            writer.WriteBoolean("isBackup"u8, false);
            // Transmission's tr_tracker_state: 0 inactive, 1 waiting for the next announce.
            writer.WriteNumber("announceState"u8, view.Running ? 1 : 0);
            writer.WriteNumber("scrapeState"u8, 0);
            writer.WriteBoolean("hasAnnounced"u8, announced);
            writer.WriteBoolean("hasScraped"u8, false);
            writer.WriteBoolean("lastAnnounceSucceeded"u8, status?.LastAnnounceSucceeded ?? false);
            writer.WriteString("lastAnnounceResult"u8, status is null || !announced ? "" : status.LastAnnounceSucceeded ? "Success" : status.LastError ?? "failed");
            writer.WriteNumber("lastAnnounceTime"u8, status?.LastAnnounce?.ToUnixTimeSeconds() ?? 0);
            writer.WriteNumber("lastAnnounceStartTime"u8, status?.LastAnnounce?.ToUnixTimeSeconds() ?? 0);
            writer.WriteBoolean("lastAnnounceTimedOut"u8, status?.LastError?.Contains("timed out", StringComparison.OrdinalIgnoreCase) ?? false);
            // We do not scrape: transmission-remote skips a tracker whose scrape fields are missing, so they say "never".
            writer.WriteString("lastScrapeResult"u8, "");
            writer.WriteNumber("lastScrapeStartTime"u8, 0);
            writer.WriteBoolean("lastScrapeSucceeded"u8, false);
            writer.WriteNumber("lastScrapeTime"u8, 0);
            writer.WriteBoolean("lastScrapeTimedOut"u8, false);
            writer.WriteNumber("nextScrapeTime"u8, 0);
            writer.WriteNumber("nextAnnounceTime"u8, status?.NextAnnounce?.ToUnixTimeSeconds() ?? 0);
            writer.WriteNumber("lastAnnouncePeerCount"u8, status?.LastPeerCount ?? 0);
            writer.WriteNumber("seederCount"u8, status?.Seeders ?? -1);
            writer.WriteNumber("leecherCount"u8, status?.Leechers ?? -1);
            writer.WriteNumber("downloadCount"u8, -1);
        });
    }

    /// <summary>One object per tracker of every tier, numbered in order (the metainfo's, or a magnet's tr= list).</summary>
    private static void WriteEachTracker(Utf8JsonWriter writer, TorrentView view, Action<string, int, int> body)
    {
        writer.WriteStartArray();
        var id = 0;
        var tiers = view.Metainfo?.AnnounceTiers ?? (IReadOnlyList<IReadOnlyList<string>>)[view.Torrent.Magnet?.Trackers ?? []];
        for (var tier = 0; tier < tiers.Count; tier++)
        {
            foreach (var url in tiers[tier])
            {
                writer.WriteStartObject();
                body(url, tier, id++);
                writer.WriteEndObject();
            }
        }
        writer.WriteEndArray();
    }

    /// <summary>Verified bytes of each file, from the pieces we have.</summary>
    private static long[] BytesCompleted(TorrentView view)
    {
        var metainfo = view.Metainfo!;
        var result = new long[metainfo.Files.Count];
        var have = view.Torrent.Managed.Runner?.Session?.HaveSnapshot();
        if (have is null)
        {
            if (view.Torrent.IsComplete)
                for (var i = 0; i < result.Length; i++)
                    result[i] = metainfo.Files[i].Length;
            return result;
        }
        for (var i = 0; i < result.Length; i++)
        {
            var file = metainfo.Files[i];
            if (file.Length == 0)
                continue;
            var first = (int)(file.Offset / metainfo.PieceLength);
            var last = (int)((file.EndOffset - 1) / metainfo.PieceLength);
            long bytes = 0;
            for (var piece = first; piece <= last; piece++)
            {
                if (!have[piece])
                    continue;
                var start = Math.Max(file.Offset, metainfo.PieceOffset(piece));
                var end = Math.Min(file.EndOffset, metainfo.PieceOffset(piece) + metainfo.PieceSize(piece));
                bytes += end - start;
            }
            result[i] = bytes;
        }
        return result;
    }
}
