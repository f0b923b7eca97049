namespace P2PShare.Hosting;

/// <summary>Where a torrent is in its life. A magnet starts in <see cref="FetchingMetadata"/>; a .torrent in <see cref="Checking"/>.</summary>
public enum TorrentState
{
    /// <summary>Added, not started yet.</summary>
    Queued,

    FetchingMetadata,

    /// <summary>Deciding what existing data to trust (resume data, or hashing what is on disk).</summary>
    Checking,

    Downloading,

    Seeding,

    /// <summary>Stopped by the user, resumable; resume data saved.</summary>
    Paused,

    /// <summary>Finished: completed with --no-seed, a seeding limit reached, or stopped.</summary>
    Stopped,

    /// <summary>Cannot go on (see the error reason): a full disk, no peers for too long, bad data.</summary>
    Error,
}
