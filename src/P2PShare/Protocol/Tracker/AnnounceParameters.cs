using P2PShare.Metainfo;

namespace P2PShare.Protocol.Tracker;

/// <summary>Everything an announce carries, in protocol terms (shared by the HTTP and UDP encoders).</summary>
internal sealed record AnnounceParameters(
    InfoHash InfoHash,
    ReadOnlyMemory<byte> PeerId,
    int Port,
    long Uploaded,
    long Downloaded,
    long Left,
    TrackerEvent Event,
    int NumWant,
    uint Key,
    string? TrackerId = null)
{
    public const int PeerIdLength = 20;

    /// <summary>Throws when a field cannot be put on the wire; called by the encoders.</summary>
    public void Validate()
    {
        if (PeerId.Length != PeerIdLength)
            throw new ArgumentException($"a peer id is {PeerIdLength} bytes, not {PeerId.Length}", nameof(PeerId));
        if (Port is < 0 or > ushort.MaxValue)
            throw new ArgumentOutOfRangeException(nameof(Port), Port, "port must be 0..65535");
        if (Uploaded < 0 || Downloaded < 0 || Left < 0)
            throw new ArgumentOutOfRangeException(nameof(Left), "byte counts cannot be negative");
    }
}
