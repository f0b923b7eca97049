namespace P2PShare.Hosting;

internal enum RunPhase
{
    Checking,
    Downloading,
    Seeding,
    Stopping,
}
