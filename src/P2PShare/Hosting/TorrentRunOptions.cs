using System.Net;
using P2PShare.Engine;
using P2PShare.Metainfo;
using P2PShare.Networking.Trackers;

namespace P2PShare.Hosting;

/// <summary>What a download or seed run is asked to do.</summary>
internal sealed record TorrentRunOptions
{
    /// <summary>The .torrent file; for a magnet link, the link's text (see <see cref="Magnet"/>).</summary>
    public required string TorrentPath { get; init; }

    /// <summary>A magnet link to run instead of a .torrent: its metadata is fetched from peers first (or read from the state directory).</summary>
    public MagnetLink? Magnet { get; init; }

    /// <summary>The directory the content goes into (under the torrent's name).</summary>
    public required string DataDirectory { get; init; }

    /// <summary>Where resume data lives; null: a .p2pshare directory next to the download.</summary>
    public string? StateDirectory { get; init; }

    public int Port { get; init; } = 6881;

    public IPAddress ListenAddress { get; init; } = IPAddress.Any;

    public IReadOnlyList<IPEndPoint> ExtraPeers { get; init; } = [];

    /// <summary>Peers as HOST:PORT texts, resolved (asynchronously) when the run starts; one that does not resolve is logged and skipped.</summary>
    public IReadOnlyList<string> ExtraPeerTexts { get; init; } = [];

    public bool SeedAfterDownload { get; init; } = true;

    /// <summary>Stop seeding once uploaded / size reaches this.</summary>
    public double? SeedRatio { get; init; }

    public TimeSpan? SeedTime { get; init; }

    /// <summary>Force a full check of existing data, ignoring resume data.</summary>
    public bool Recheck { get; init; }

    /// <summary>Seed mode: the data must already be there (all of it unless <see cref="AllowPartial"/>).</summary>
    public bool SeedOnly { get; init; }

    public bool AllowPartial { get; init; }

    /// <summary>Give up with an error when no peer has been connected for this long.</summary>
    public TimeSpan GiveUpWithoutPeers { get; init; } = TimeSpan.FromMinutes(5);

    /// <summary>Give up with an error (carrying the diagnosis) when the download made no progress for this long; null: never.</summary>
    public TimeSpan? GiveUpWithoutProgress { get; init; }

    /// <summary>Show the peer list (client, rates, score, state) every few seconds.</summary>
    public bool ShowPeers { get; init; }

    public TimeSpan ResumeSaveInterval { get; init; } = TimeSpan.FromSeconds(5);

    public EngineOptions Engine { get; init; } = new();

    /// <summary>One priority per torrent file (skipped files are not downloaded); null: see <see cref="SelectFiles"/>.</summary>
    public IReadOnlyList<Engine.Picking.FilePriority>? FilePriorities { get; init; }

    /// <summary>
    /// Chooses the file priorities once the torrent is known (a magnet's file list arrives with its metadata); used when
    /// <see cref="FilePriorities"/> is null. Returning null (or neither given) keeps the resume data's selection, or all files.
    /// </summary>
    public Func<Torrent, IReadOnlyList<Engine.Picking.FilePriority>?>? SelectFiles { get; init; }

    /// <summary>Stop once the torrent is known (a magnet's metadata fetched and saved in the state directory), before any data.</summary>
    public bool MetadataOnly { get; init; }

    /// <summary>Download pieces in order (first and last piece of each wanted file early), as for playing while downloading.</summary>
    public bool Sequential { get; init; }

    /// <summary>
    /// A download cannot wait minutes on a silent UDP tracker before trying the next tier, so the BEP 15
    /// schedule is kept but cut short (5, 10, 20 s).
    /// </summary>
    public TrackerOptions Trackers { get; init; } = TrackerOptions.Default with { UdpBaseTimeout = TimeSpan.FromSeconds(5), UdpMaxRetransmissions = 2 };
}
