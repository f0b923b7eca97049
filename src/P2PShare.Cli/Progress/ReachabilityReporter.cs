using System.Net;
using P2PShare.Engine;
using P2PShare.Networking.PortMapping;

namespace P2PShare.Cli.Progress;

/// <summary>
/// Tells the user whether they are reachable: a line when port mapping settles (mapped via what, or not mapped and
/// why) and when the first incoming connection arrives, each with the other half of the answer.
/// </summary>
internal sealed class ReachabilityReporter : IDisposable
{
    private readonly ClientEngine _engine;
    private readonly Action<string> _message;
    private PortMappingStatus? _lastReported;

    private ReachabilityReporter(ClientEngine engine, Action<string> message)
    {
        _engine = engine;
        _message = message;
        if (engine.PortMapper is { } mapper)
            mapper.StatusChanged += OnStatus;
        engine.FirstIncomingConnection += OnFirstIncoming;
    }

    public static ReachabilityReporter Start(ClientEngine engine, Action<string> message) => new(engine, message);

    /// <summary>"port mapped via UPnP: 11.0.0.1 TCP 6881, UDP 6881; incoming connections: none yet".</summary>
    public static string Line(PortMappingStatus status, long incoming) =>
        $"{status.Describe()}; incoming connections: {(incoming > 0 ? $"seen ({incoming})" : "none yet")}";

    private void OnStatus(PortMappingStatus status)
    {
        if (status.State == PortMappingState.Trying)
            return;
        lock (_message)
        {
            // Renewals that change nothing are not news.
            if (_lastReported == status)
                return;
            _lastReported = status;
        }
        _message(Line(status, _engine.IncomingConnections));
    }

    private void OnFirstIncoming(IPEndPoint from) =>
        _message($"{Line(_engine.PortMappingStatus, Math.Max(1, _engine.IncomingConnections))}, first from {from}");

    public void Dispose()
    {
        if (_engine.PortMapper is { } mapper)
            mapper.StatusChanged -= OnStatus;
        _engine.FirstIncomingConnection -= OnFirstIncoming;
    }
}
