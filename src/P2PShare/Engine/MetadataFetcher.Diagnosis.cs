using P2PShare.Engine.Diagnosis;

namespace P2PShare.Engine;

/// <summary>The metadata phase's part of a diagnosis: addresses, dial failures, peers and what they offer.</summary>
internal sealed partial class MetadataFetcher
{
    /// <summary>What the fetcher knows now; no pieces or files yet (the info dictionary is what is missing).</summary>
    public SwarmFacts DiagnosisFacts()
    {
        lock (_gate)
        {
            var now = _time.GetTimestamp();
            var (failures, byKind) = _dialer.DialFailureFacts();
            return new SwarmFacts
            {
                KnownAddresses = _dialer.KnownCount,
                Connecting = _dialer.Connecting,
                Peers = _peers.Select(p => new PeerFact(
                    p.Name, p.Connection.Remote.PeerId.ClientName, p.Known?.Source ?? PeerSource.Incoming, p.Connection.Transport,
                    _time.GetElapsedTime(p.ConnectedAt, now), p.PeerChoking, AmInterested: false, p.PeerInterested,
                    p.HaveAll, p.Haves.Count, DownloadRate: 0, HashFailures: 0)).ToList(),
                DialFailures = failures,
                FailuresByKind = byKind,
                IsPrivate = false,
                PexEnabled = true,
                Encryption = _shared.Encryption.ToString().ToLowerInvariant(),
                Metadata = new MetadataFact(_peers.Count(IsEligible), _assembler?.ReceivedCount ?? 0, _assembler?.PieceCount ?? 0),
            };
        }
    }
}
