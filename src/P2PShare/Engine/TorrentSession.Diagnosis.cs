using P2PShare.Engine.Diagnosis;

namespace P2PShare.Engine;

/// <summary>The session's part of a diagnosis: the facts it holds, taken under its lock in one pass.</summary>
internal sealed partial class TorrentSession
{
    /// <summary>
    /// What the session knows of its swarm now (addresses, dial failures, peers' choke and interest states, pieces no
    /// connected peer has, rates and limits, the disk queue). On demand only: one pass over peers, addresses and pieces.
    /// </summary>
    public SwarmFacts DiagnosisFacts()
    {
        // The disk queue has a lock of its own: read it outside ours.
        var disk = _verifier.DiskQueue;
        var diskFact = new DiskFact(disk.BytesHeld, disk.Options.MemoryBudgetBytes, disk.WaitingProducers, disk.HasRoom, disk.AverageJobMilliseconds);
        lock (_gate)
        {
            var now = _time.GetTimestamp();
            var (failures, byKind) = _dialer.DialFailureFacts();
            var unavailable = new List<int>();
            // A web seed has every piece.
            if (_webSeeds.ActiveCount == 0)
            {
                for (var piece = 0; piece < _torrent.PieceCount; piece++)
                    if (!_have[piece] && _scheduler.Picker.Availability(piece) == 0)
                        unavailable.Add(piece);
            }
            return new SwarmFacts
            {
                KnownAddresses = _dialer.KnownCount,
                Connecting = _dialer.Connecting,
                Peers = _peers.Select(p => new PeerFact(
                    p.Name, p.Connection.Remote.PeerId.ClientName, p.KnownAddresses.Count > 0 ? p.KnownAddresses[0].Source : PeerSource.Incoming,
                    p.Connection.Transport, _time.GetElapsedTime(p.ConnectedAt, now), p.PeerChoking, p.AmInterested, p.PeerInterested,
                    p.Has.IsComplete, p.Has.CountSet, p.DownloadRate.BytesPerSecond, p.HashFailures, p.IsSnubbed)).ToList(),
                DialFailures = failures,
                FailuresByKind = byKind,
                PieceCount = _torrent.PieceCount,
                PiecesHave = _have.CountSet,
                PieceLength = _torrent.PieceLength,
                TotalLength = _torrent.TotalLength,
                VerifiedBytes = _verifier.VerifiedBytes,
                UnavailablePieces = unavailable,
                Files = _torrent.Files,
                Rates = new RateFact(_downloadRate.BytesPerSecond, Stricter(_downloadLimit.BytesPerSecond, _shared.Download.BytesPerSecond),
                    _uploadRate.BytesPerSecond, Stricter(_uploadLimit.BytesPerSecond, _shared.Upload.BytesPerSecond)),
                Disk = diskFact,
                IsPrivate = _torrent.IsPrivate,
                PexEnabled = _pex.Enabled,
                Encryption = _shared.Encryption.ToString().ToLowerInvariant(),
            };
        }
    }

    /// <summary>The lower of two limits where 0 means none.</summary>
    internal static long Stricter(long a, long b) => a == 0 ? b : b == 0 ? a : Math.Min(a, b);
}
