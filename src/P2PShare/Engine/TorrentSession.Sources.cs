namespace P2PShare.Engine;

internal sealed partial class TorrentSession
{
    /// <summary>Verified bytes downloaded in this session, by where their senders came from (tracker, DHT, PEX, web seed...).</summary>
    public IReadOnlyDictionary<PeerSource, long> DownloadedBySource()
    {
        lock (_gate)
            return _verifier.VerifiedBySource();
    }
}
