using Microsoft.Extensions.Logging;
using P2PShare.Engine;
using P2PShare.Hosting;

namespace P2PShare.Cli.Daemon;

/// <summary>What a daemon torrent's run reports: kept for torrent-get (check progress, metadata progress, last message), not printed.</summary>
internal sealed class DaemonObserver(ILogger logger) : IRunObserver
{
    private volatile string? _lastMessage;
    private double _checkFraction;
    private double _metadataFraction;

    public string? LastMessage => _lastMessage;

    public double CheckFraction => Volatile.Read(ref _checkFraction);

    public double MetadataFraction => Volatile.Read(ref _metadataFraction);

    public void Message(string text)
    {
        _lastMessage = text;
        logger.LogInformation("{Message}", text);
    }

    public void Checking(string reason, double fraction) => Volatile.Write(ref _checkFraction, fraction);

    public void FetchingMetadata(MetadataFetchProgress progress) =>
        Volatile.Write(ref _metadataFraction, progress.PieceCount > 0 ? (double)progress.PiecesReceived / progress.PieceCount : 0);

    public void Progress(RunPhase phase, TorrentProgress progress, int listenPort)
    {
    }

    public void Peers(IReadOnlyList<PeerInfo> peers)
    {
    }
}
