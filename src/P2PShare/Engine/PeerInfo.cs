namespace P2PShare.Engine;

/// <summary>One connected peer, as a peer list shows it.</summary>
public sealed record PeerInfo(string Address, string Client, double DownloadRate, double UploadRate, double PiecesFraction, string Flags, int Outstanding, int HashFailures, double Score,
    PeerSource Source = PeerSource.Given, string Transport = "tcp");
