using System.Net;
using P2PShare.Engine;

namespace P2PShare.Hosting;

/// <summary>How <see cref="TorrentClient"/> runs one torrent; every member has a usable default.</summary>
public sealed record TorrentAddOptions
{
    /// <summary>Peers to connect to besides those from trackers, the DHT and PEX.</summary>
    public IReadOnlyList<IPEndPoint> Peers { get; init; } = [];

    /// <summary>Keep seeding once complete (the default); false: the torrent stops when its data is complete.</summary>
    public bool SeedAfterDownload { get; init; } = true;

    /// <summary>Stop seeding once uploaded / size reaches this ratio.</summary>
    public double? SeedRatio { get; init; }

    /// <summary>Where resume data is kept; null: a .p2pshare directory in the download directory.</summary>
    public string? StateDirectory { get; init; }

    /// <summary>The torrent ends in <see cref="TorrentState.Error"/> after this long without any peer.</summary>
    public TimeSpan GiveUpWithoutPeers { get; init; } = TimeSpan.FromMinutes(5);

    /// <summary>Add it without starting it (<see cref="TorrentHandle.Resume"/> starts it).</summary>
    public bool Paused { get; init; }

    /// <summary>Per-torrent tunables (peers, upload slots, per-torrent rate limits, web seeds); null: the defaults.</summary>
    public EngineOptions? Engine { get; init; }
}
