using System.Collections.Concurrent;
using System.Net;
using P2PShare.Metainfo;
using P2PShare.Networking.Trackers;

namespace P2PShare.Tests.Trackers;

/// <summary>An in-memory tracker for the manager's logic: answers, fails or hangs as the test says.</summary>
internal sealed class FakeTrackerClient(string url) : ITrackerClient
{
    public Uri Uri { get; } = new(url);

    public Func<AnnounceRequest, CancellationToken, Task<AnnounceResponse>> Behaviour { get; set; } =
        (_, _) => Task.FromResult(Response());

    public ConcurrentQueue<AnnounceEvent> Events { get; } = new();

    public int Calls => Events.Count;

    public static AnnounceResponse Response(int intervalSeconds = 1800, int? minIntervalSeconds = null, params string[] peers) =>
        new(TimeSpan.FromSeconds(intervalSeconds), minIntervalSeconds is { } m ? TimeSpan.FromSeconds(m) : null,
            [.. peers.Select(IPEndPoint.Parse)], 1, 2, null);

    public Task<AnnounceResponse> AnnounceAsync(AnnounceRequest request, CancellationToken ct)
    {
        Events.Enqueue(request.Event);
        return Behaviour(request, ct);
    }

    public Task<ScrapeResponse> ScrapeAsync(InfoHash infoHash, CancellationToken ct) => Task.FromResult(new ScrapeResponse(1, 2, 3));
}
