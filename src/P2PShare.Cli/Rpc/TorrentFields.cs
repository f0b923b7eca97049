using System.Text.Json;
using P2PShare.Protocol;

namespace P2PShare.Cli.Rpc;

/// <summary>
/// The torrent-get fields, each a small writer over a <see cref="TorrentView"/>. Names are Transmission's; a field not
/// listed here is ignored (as Transmission ignores names it does not know).
/// </summary>
internal static class TorrentFields
{
    public delegate void Writer(Utf8JsonWriter writer, TorrentView view);

    public static readonly IReadOnlyDictionary<string, (JsonEncodedText Name, Writer Write)> All = Build();

    private static Dictionary<string, (JsonEncodedText, Writer)> Build()
    {
        var fields = new Dictionary<string, Writer>
        {
            ["id"] = (w, v) => w.WriteNumberValue(v.Torrent.Id),
            ["name"] = (w, v) => w.WriteStringValue(v.Torrent.Name),
            ["hashString"] = (w, v) => w.WriteStringValue(v.Torrent.HashString),
            ["status"] = (w, v) => w.WriteNumberValue(v.Status),
            ["error"] = (w, v) => w.WriteNumberValue(v.ErrorString is null ? 0 : TransmissionStatus.LocalError),
            ["errorString"] = (w, v) => w.WriteStringValue(v.ErrorString ?? ""),
            ["eta"] = (w, v) => w.WriteNumberValue(v.Eta),
            ["etaIdle"] = (w, v) => w.WriteNumberValue(-1),
            ["isFinished"] = (w, v) => w.WriteBooleanValue(v.IsFinished),
            ["isStalled"] = (w, v) => w.WriteBooleanValue(v.Running && v.RateDownload == 0 && v.RateUpload == 0 && v.Now - v.Torrent.LastActivity > TimeSpan.FromMinutes(30)),
            ["isPrivate"] = (w, v) => w.WriteBooleanValue(v.Metainfo?.IsPrivate ?? false),
            ["leftUntilDone"] = (w, v) => w.WriteNumberValue(v.LeftUntilDone),
            ["sizeWhenDone"] = (w, v) => w.WriteNumberValue(v.TotalSize),
            ["totalSize"] = (w, v) => w.WriteNumberValue(v.TotalSize),
            ["desiredAvailable"] = (w, v) => w.WriteNumberValue(v.Running ? v.LeftUntilDone : 0),
            ["haveValid"] = (w, v) => w.WriteNumberValue(v.HaveValid),
            ["haveUnchecked"] = (w, v) => w.WriteNumberValue(0),
            ["percentDone"] = (w, v) => w.WriteNumberValue(Math.Round(v.PercentDone, 4)),
            ["percentComplete"] = (w, v) => w.WriteNumberValue(Math.Round(v.PercentDone, 4)),
            ["metadataPercentComplete"] = (w, v) => w.WriteNumberValue(v.Metainfo is null ? Math.Round(v.Torrent.Observer.MetadataFraction, 4) : 1),
            ["recheckProgress"] = (w, v) => w.WriteNumberValue(v.Status == TransmissionStatus.Checking ? Math.Round(v.Torrent.Observer.CheckFraction, 4) : 0),
            ["rateDownload"] = (w, v) => w.WriteNumberValue(v.RateDownload),
            ["rateUpload"] = (w, v) => w.WriteNumberValue(v.RateUpload),
            ["uploadRatio"] = (w, v) => w.WriteNumberValue(v.UploadRatio),
            ["uploadedEver"] = (w, v) => w.WriteNumberValue(v.Torrent.UploadedEver),
            ["downloadedEver"] = (w, v) => w.WriteNumberValue(v.Torrent.DownloadedEver),
            ["corruptEver"] = (w, v) => w.WriteNumberValue(0),
            ["peersConnected"] = (w, v) => w.WriteNumberValue(v.PeersConnected),
            ["peersSendingToUs"] = (w, v) => w.WriteNumberValue(v.PeersSendingToUs),
            ["peersGettingFromUs"] = (w, v) => w.WriteNumberValue(v.PeersGettingFromUs),
            ["webseedsSendingToUs"] = (w, v) => w.WriteNumberValue(v.Peers.Count(p => p.Source == P2PShare.Engine.PeerSource.WebSeed && p.DownloadRate > 0)),
            ["peer-limit"] = (w, v) => w.WriteNumberValue(v.Torrent.Managed.Options.Engine.MaxPeers),
            ["maxConnectedPeers"] = (w, v) => w.WriteNumberValue(v.Torrent.Managed.Options.Engine.MaxPeers),
            ["pieceCount"] = (w, v) => w.WriteNumberValue(v.Metainfo?.PieceCount ?? 0),
            ["pieceSize"] = (w, v) => w.WriteNumberValue(v.Metainfo?.PieceLength ?? 0),
            ["pieces"] = WritePieces,
            ["downloadDir"] = (w, v) => w.WriteStringValue(v.Torrent.Entry.DownloadDir),
            ["addedDate"] = (w, v) => w.WriteNumberValue(v.Torrent.Entry.AddedDate.ToUnixTimeSeconds()),
            ["doneDate"] = (w, v) => w.WriteNumberValue(v.Torrent.Entry.DoneDate?.ToUnixTimeSeconds() ?? 0),
            ["startDate"] = (w, v) => w.WriteNumberValue(v.Torrent.StartDate?.ToUnixTimeSeconds() ?? 0),
            ["activityDate"] = (w, v) => w.WriteNumberValue(v.Torrent.LastActivity == default ? 0 : v.Torrent.LastActivity.ToUnixTimeSeconds()),
            ["dateCreated"] = (w, v) => w.WriteNumberValue(v.Metainfo?.CreationDate?.ToUnixTimeSeconds() ?? 0),
            ["secondsDownloading"] = (w, v) => w.WriteNumberValue(v.Status == TransmissionStatus.Downloading && v.Torrent.StartDate is { } s ? (long)(v.Now - s).TotalSeconds : 0),
            ["secondsSeeding"] = (w, v) => w.WriteNumberValue(v.Status == TransmissionStatus.Seeding && v.Torrent.StartDate is { } s ? (long)(v.Now - s).TotalSeconds : 0),
            ["comment"] = (w, v) => w.WriteStringValue(v.Metainfo?.Comment ?? ""),
            ["creator"] = (w, v) => w.WriteStringValue(v.Metainfo?.CreatedBy ?? ""),
            ["magnetLink"] = (w, v) => w.WriteStringValue(v.Torrent.Magnet?.ToString() ?? v.Metainfo?.ToMagnetLink().ToString() ?? ""),
            ["torrentFile"] = (w, v) => w.WriteStringValue(v.Torrent.Managed.Options.TorrentPath),
            ["queuePosition"] = (w, v) => w.WriteNumberValue(v.Torrent.Entry.QueuePosition),
            ["bandwidthPriority"] = (w, v) => w.WriteNumberValue(0),
            ["honorsSessionLimits"] = (w, v) => w.WriteBooleanValue(true),
            ["downloadLimit"] = (w, v) => w.WriteNumberValue(v.Torrent.Entry.DownloadLimit),
            ["downloadLimited"] = (w, v) => w.WriteBooleanValue(v.Torrent.Entry.DownloadLimited),
            ["uploadLimit"] = (w, v) => w.WriteNumberValue(v.Torrent.Entry.UploadLimit),
            ["uploadLimited"] = (w, v) => w.WriteBooleanValue(v.Torrent.Entry.UploadLimited),
            ["seedRatioMode"] = (w, v) => w.WriteNumberValue(0),
            ["seedRatioLimit"] = (w, v) => w.WriteNumberValue(v.Torrent.Managed.Options.SeedRatio ?? 2.0),
            ["seedIdleMode"] = (w, v) => w.WriteNumberValue(0),
            ["seedIdleLimit"] = (w, v) => w.WriteNumberValue(30),
            ["labels"] = (w, v) => { w.WriteStartArray(); w.WriteEndArray(); },
            ["files"] = TorrentFileFields.WriteFiles,
            ["fileStats"] = TorrentFileFields.WriteFileStats,
            ["wanted"] = TorrentFileFields.WriteWanted,
            ["priorities"] = TorrentFileFields.WritePriorities,
            ["peers"] = TorrentFileFields.WritePeers,
            ["peersFrom"] = TorrentFileFields.WritePeersFrom,
            ["trackers"] = TorrentFileFields.WriteTrackers,
            ["trackerStats"] = TorrentFileFields.WriteTrackerStats,
            ["webseeds"] = (w, v) => { w.WriteStartArray(); foreach (var url in v.Metainfo?.WebSeeds ?? []) w.WriteStringValue(url); w.WriteEndArray(); },
            // Ours, not Transmission's (its clients ignore names they do not know): why the torrent is slow or stuck.
            ["diagnosis"] = WriteDiagnosis,
        };
        return fields.ToDictionary(pair => pair.Key, pair => (JsonEncodedText.Encode(pair.Key), pair.Value));
    }

    /// <summary>The pieces we have, as a base64 bitfield (high bit first), as Transmission sends it.</summary>
    private static void WritePieces(Utf8JsonWriter writer, TorrentView view)
    {
        var have = view.Torrent.Managed.Runner?.Session?.HaveSnapshot();
        if (have is null && view.Metainfo is { } metainfo)
        {
            have = new Bitfield(metainfo.PieceCount);
            if (view.Torrent.IsComplete)
                have.SetAll();
        }
        writer.WriteBase64StringValue(have is null ? [] : have.Bytes);
    }

    /// <summary>The engine's diagnosis (issue: say why a torrent is slow or stuck): findings, most severe first; empty while queued, paused or checking.</summary>
    private static void WriteDiagnosis(Utf8JsonWriter w, TorrentView v)
    {
        w.WriteStartArray();
        var diagnosis = v.Running ? v.Torrent.Managed.Diagnose() : null;
        foreach (var finding in diagnosis?.Findings ?? [])
        {
            w.WriteStartObject();
            w.WriteString("code", finding.Code);
            w.WriteString("severity", finding.Severity.ToString().ToLowerInvariant());
            w.WriteString("message", finding.Message);
            w.WriteStartArray("evidence");
            foreach (var item in finding.Evidence)
                w.WriteStringValue(item);
            w.WriteEndArray();
            w.WriteEndObject();
        }
        w.WriteEndArray();
    }
}
