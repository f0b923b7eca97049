using P2PShare.Metainfo;
using P2PShare.Protocol;

namespace P2PShare.Storage;

/// <summary>
/// What a restart needs to skip a full recheck: the pieces verified (and made durable) last time, and the state of each
/// file then, to tell whether anything touched the files since. Also known-good peers and transfer totals.
/// </summary>
/// <param name="Files">One entry per non-padding file, in torrent order.</param>
/// <param name="Peers">Peers worth reconnecting to, as "host:port".</param>
/// <param name="FilePriorities">The file selection (one level per torrent file, 0 = skip .. 3 = high); null: none made.</param>
/// <param name="PartPieces">Verified pieces whose bytes of skipped files are in the part file; null: none.</param>
/// <param name="UnsyncedPieces">
/// Verified pieces whose data was not fsynced before this save (a save on the way out skips the wait for the disk):
/// trusted while <paramref name="BootId"/> is the running system's boot, hashed again after another boot. Null: every
/// verified piece was made durable first.
/// </param>
/// <param name="BootId">The boot the unsynced pieces were saved in (<see cref="BootIdentity"/>).</param>
internal sealed record ResumeData(
    InfoHash InfoHash,
    Bitfield VerifiedPieces,
    IReadOnlyList<ResumeFileState> Files,
    IReadOnlyList<string> Peers,
    long BytesDownloaded,
    long BytesUploaded,
    IReadOnlyList<byte>? FilePriorities = null,
    Bitfield? PartPieces = null,
    Bitfield? UnsyncedPieces = null,
    string? BootId = null)
{
    public const int CurrentFormatVersion = 1;

    /// <summary>
    /// Snapshots the resume data of a torrent now. Call after <see cref="Engine.IPieceStore.FlushAsync"/>, with the
    /// pieces verified before that flush, so the bitfield claims only durable data. The file states are read after the
    /// caller's flush: a later write changes a file's time, which makes the next start re-check that file.
    /// </summary>
    public static ResumeData Capture(
        Torrent torrent, string directory, Bitfield verifiedPieces, IEnumerable<string>? peers = null,
        long bytesDownloaded = 0, long bytesUploaded = 0)
    {
        ArgumentNullException.ThrowIfNull(torrent);
        ArgumentNullException.ThrowIfNull(verifiedPieces);
        if (verifiedPieces.Length != torrent.PieceCount)
            throw new ArgumentException($"bitfield of {verifiedPieces.Length} bits for {torrent.PieceCount} pieces", nameof(verifiedPieces));
        var states = ResumeValidator.CurrentStates(torrent, ContentPaths.For(torrent, directory));
        var files = new List<ResumeFileState>(states.Length);
        foreach (var state in states)
            if (state is not null)
                files.Add(state);
        return new ResumeData(torrent.InfoHash, verifiedPieces.Clone(), files, [.. peers ?? []], bytesDownloaded, bytesUploaded);
    }
}
