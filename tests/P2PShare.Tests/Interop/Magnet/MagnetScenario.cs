using P2PShare.Tests.Support;

namespace P2PShare.Tests.Interop.Magnet;

/// <summary>A file, its torrent (made by our 'create') and the magnet link of it, in a temp directory.</summary>
internal sealed record MagnetScenario(TempDirectory Temp, string Source, P2PShareTorrent Torrent)
{
    public string SeedDirectory => Temp.Combine("seed");

    public static async Task<MagnetScenario> CreateAsync(TempDirectory temp, string name, long size, int seed, IEnumerable<string>? trackers = null,
        int pieceSizeKiB = 64, CancellationToken cancellationToken = default)
    {
        var source = TestData.CreateFile(temp.Combine("seed", name), size, seed);
        var torrent = await P2PShareClient.CreateTorrentAsync(source, temp.Combine(name + ".torrent"), trackers, pieceSizeKiB,
            cancellationToken: cancellationToken);
        return new MagnetScenario(temp, source, torrent);
    }

    /// <summary>magnet:?xt=urn:btih:HASH&amp;dn=NAME plus the given tr= and x.pe= parameters.</summary>
    public string Magnet(IEnumerable<string>? trackers = null, params string[] peers)
    {
        var link = $"magnet:?xt=urn:btih:{Torrent.InfoHash}&dn={Uri.EscapeDataString(Path.GetFileName(Source))}";
        foreach (var tracker in trackers ?? [])
        {
            link += "&tr=" + Uri.EscapeDataString(tracker);
        }
        foreach (var peer in peers)
        {
            link += "&x.pe=" + peer;
        }
        return link;
    }

    /// <summary>The .torrent our client saved in DIR/.p2pshare after fetching the metadata.</summary>
    public string SavedTorrent(string outputDirectory) => Path.Combine(outputDirectory, ".p2pshare", Torrent.InfoHash + ".torrent");
}
