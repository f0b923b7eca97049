using P2PShare.Metainfo;
using P2PShare.Protocol;

namespace P2PShare.Storage;

/// <summary>The pieces a torrent starts with, and how that was decided.</summary>
/// <param name="Resume">The resume data loaded (peers, totals), or null when there was none usable.</param>
internal sealed record StartupResult(Bitfield Verified, ResumeDecision Decision, ResumeData? Resume)
{
    /// <summary>
    /// Verified pieces whose data is not known to be on disk: those the last run saved unsynced (trusted in the same
    /// boot), and those found by hashing (a run that died may have written them without an fsync). The first save that
    /// calls them durable must fsync their files first (<see cref="TorrentStorage.MarkUnflushed"/>).
    /// </summary>
    public Bitfield NotKnownDurable() =>
        Verified.Except(Resume?.UnsyncedPieces is { } unsynced ? Decision.Trusted.Except(unsynced) : Decision.Trusted);
}

/// <summary>
/// The whole start-up sequence for one torrent: load resume data, decide what to trust, hash only what must be
/// re-checked, and combine. Never fails on bad resume data; only real I/O errors while checking propagate.
/// </summary>
internal static class StartupCheck
{
    public static async Task<StartupResult> RunAsync(
        Torrent torrent, string directory, ResumeStore store, IProgress<PieceCheckProgress>? progress, CancellationToken cancellationToken,
        Action<ResumeDecision>? onDecision = null)
    {
        ArgumentNullException.ThrowIfNull(torrent);
        ArgumentNullException.ThrowIfNull(store);
        var loaded = await store.LoadAsync(torrent.InfoHash, cancellationToken).ConfigureAwait(false);
        var decision = ResumeValidator.Decide(torrent, directory, loaded);
        onDecision?.Invoke(decision);
        var verified = decision.Trusted.Clone();
        if (decision.NeedsCheck)
        {
            var rechecked = await PieceChecker.CheckAsync(torrent, directory, progress, cancellationToken, decision.ToCheck)
                .ConfigureAwait(false);
            foreach (var piece in rechecked.SetIndices())
                verified[piece] = true;
        }
        return new StartupResult(verified, decision, loaded.Status == ResumeLoadStatus.Loaded ? loaded.Data : null);
    }
}
