using P2PShare.Metainfo;

namespace P2PShare.Engine.Diagnosis;

/// <summary>
/// What one torrent's session (or a magnet's metadata fetcher) knows of its swarm at one moment: addresses known,
/// dials in progress and failed (a few examples plus counts by reason), connected peers, pieces nobody connected has,
/// rates and limits, the disk queue. Taken under the session's lock; safe to keep.
/// </summary>
internal sealed record SwarmFacts
{
    /// <summary>Most dial failures kept as examples; <see cref="FailuresByKind"/> counts them all.</summary>
    public const int MaxFailureExamples = 20;

    public int KnownAddresses { get; init; }

    public int Connecting { get; init; }

    public IReadOnlyList<PeerFact> Peers { get; init; } = [];

    public IReadOnlyList<DialFailureFact> DialFailures { get; init; } = [];

    /// <summary>Known addresses whose last dial failed, by reason.</summary>
    public IReadOnlyDictionary<DialFailureKind, int> FailuresByKind { get; init; } = new Dictionary<DialFailureKind, int>();

    public int PieceCount { get; init; }

    public int PiecesHave { get; init; }

    public int PieceLength { get; init; }

    public long TotalLength { get; init; }

    public long VerifiedBytes { get; init; }

    /// <summary>Pieces we lack that no connected peer has.</summary>
    public IReadOnlyList<int> UnavailablePieces { get; init; } = [];

    public IReadOnlyList<TorrentFile> Files { get; init; } = [];

    public RateFact Rates { get; init; } = RateFact.None;

    public DiskFact? Disk { get; init; }

    public bool IsPrivate { get; init; }

    public bool PexEnabled { get; init; }

    /// <summary>The dial policy: "prefer", "require" or "disable".</summary>
    public string Encryption { get; init; } = "prefer";

    /// <summary>Set in a magnet's metadata phase.</summary>
    public MetadataFact? Metadata { get; init; }
}
