namespace P2PShare.Engine;

/// <summary>
/// One connected peer, as a peer list shows it. <paramref name="Transport"/>: how the bytes travel ("tcp", "tcp+rc4");
/// <paramref name="Fast"/>: both sides speak the Fast extension (BEP 6); <paramref name="Source"/>: where we learnt of it;
/// <paramref name="Note"/>: what is wrong with it, if anything (a web seed's failures, or why it was dropped).
/// </summary>
public sealed record PeerInfo(string Address, string Client, double DownloadRate, double UploadRate, double PiecesFraction, string Flags, int Outstanding, int HashFailures, double Score,
    string Transport = "tcp", bool Fast = false, PeerSource Source = PeerSource.Given, string? Note = null);
