namespace P2PShare.Engine.Diagnosis;

/// <summary>One connected peer as the diagnosis sees it: the choke and interest states, what it has, how it behaved.</summary>
internal sealed record PeerFact(
    string Address,
    string Client,
    PeerSource Source,
    string Transport,
    TimeSpan ConnectedFor,
    bool PeerChoking,
    bool AmInterested,
    bool PeerInterested,
    bool IsSeed,
    int PiecesHave,
    double DownloadRate,
    int HashFailures,
    bool IsSnubbed = false);
