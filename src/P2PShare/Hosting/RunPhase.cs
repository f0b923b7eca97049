namespace P2PShare.Hosting;

public enum RunPhase
{
    Checking,
    Downloading,
    Seeding,
    Stopping,
}
