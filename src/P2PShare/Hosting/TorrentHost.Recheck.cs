namespace P2PShare.Hosting;

internal sealed partial class TorrentHost
{
    /// <summary>
    /// Stops the torrent's run (if any) and starts a new one that ignores its resume data and hashes all data on
    /// disk. Later runs trust resume data again.
    /// </summary>
    public async Task RecheckAsync(ManagedTorrent torrent)
    {
        await PauseAsync(torrent).ConfigureAwait(false);
        var options = torrent.Options;
        torrent.Options = options with { Recheck = true };
        torrent.PausedByUser = false;
        Start(torrent);
        // The runner has taken its copy; a later resume must not check everything again.
        torrent.Options = options;
    }

    /// <summary>Replaces the options the torrent's next run uses (for example a new download directory or limits).</summary>
    public void SetOptions(ManagedTorrent torrent, TorrentRunOptions options) => torrent.Options = options;
}
