using System.Net;
using P2PShare.Protocol.Dht;

namespace P2PShare.Networking.Dht;

/// <summary>
/// An iterative Kademlia lookup (BEP 5): keeps α queries in flight, always to the closest candidate not yet asked,
/// adds the nodes each answer names, and stops when the K closest candidates that did not fail have all answered,
/// or when the query budget or the time runs out (then it returns what it has).
/// </summary>
internal sealed class DhtLookup
{
    private readonly NodeId _target;
    private readonly Func<NodeContact, CancellationToken, Task<KrpcResponse?>> _query;
    private readonly int _k;
    private readonly int _alpha;
    private readonly int _maxQueries;
    private readonly int _maxCandidates;
    private readonly int _maxPeers;
    private readonly Action<IPEndPoint>? _onPeer;
    private readonly List<Candidate> _candidates = [];
    private readonly HashSet<IPEndPoint> _seenEndPoints = [];
    private readonly HashSet<IPEndPoint> _peers = [];
    private readonly List<IPEndPoint> _peerOrder = [];
    private readonly List<DhtLookupStep> _steps = [];
    private int _queries;
    private int _responses;

    public DhtLookup(NodeId target, IEnumerable<NodeContact> seeds, Func<NodeContact, CancellationToken, Task<KrpcResponse?>> query,
        int k, int alpha, int maxQueries, Action<IPEndPoint>? onPeer = null, int maxPeers = 2000)
    {
        _target = target;
        _query = query;
        _k = k;
        _alpha = alpha;
        _maxQueries = maxQueries;
        _maxCandidates = Math.Max(8 * k, 64);
        _maxPeers = maxPeers;
        _onPeer = onPeer;
        foreach (var seed in seeds)
            AddCandidate(seed, hop: 0);
    }

    /// <summary>Runs until converged or <paramref name="timeout"/> elapses; cancellation of <paramref name="cancellationToken"/> throws.</summary>
    public async Task<DhtLookupResult> RunAsync(TimeSpan timeout, TimeProvider time, CancellationToken cancellationToken)
    {
        var started = time.GetTimestamp();
        using var deadline = new CancellationTokenSource(timeout, time);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(deadline.Token, cancellationToken);
        var inFlight = new Dictionary<Task<KrpcResponse?>, Candidate>();
        try
        {
            while (true)
            {
                while (inFlight.Count < _alpha && _queries < _maxQueries && NextCandidate() is { } next)
                {
                    next.Status = CandidateStatus.InFlight;
                    _queries++;
                    inFlight[SafeQuery(next.Contact, linked.Token)] = next;
                }
                if (inFlight.Count == 0 || Converged())
                    break;
                var done = await Task.WhenAny(inFlight.Keys).WaitAsync(linked.Token).ConfigureAwait(false);
                var candidate = inFlight[done];
                inFlight.Remove(done);
                Absorb(candidate, await done.ConfigureAwait(false));
            }
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            // Out of time: return what was found.
        }
        return Result(time.GetElapsedTime(started));
    }

    private async Task<KrpcResponse?> SafeQuery(NodeContact contact, CancellationToken cancellationToken)
    {
        try
        {
            return await _query(contact, cancellationToken).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            return null;
        }
    }

    private void Absorb(Candidate candidate, KrpcResponse? response)
    {
        if (response is null)
        {
            candidate.Status = CandidateStatus.Failed;
            _steps.Add(new DhtLookupStep(candidate.Contact, candidate.Hop, false, 0, 0));
            return;
        }
        _responses++;
        candidate.Status = CandidateStatus.Responded;
        candidate.Token = response.Token;
        _steps.Add(new DhtLookupStep(candidate.Contact, candidate.Hop, true, response.Nodes.Count, response.Values.Count));
        foreach (var node in response.Nodes)
            AddCandidate(node, candidate.Hop + 1);
        foreach (var peer in response.Values)
        {
            if (_peers.Count >= _maxPeers || !_peers.Add(peer))
                continue;
            _peerOrder.Add(peer);
            _onPeer?.Invoke(peer);
        }
    }

    private void AddCandidate(NodeContact contact, int hop)
    {
        if (!_seenEndPoints.Add(contact.EndPoint) || _candidates.Exists(c => c.Contact.Id == contact.Id))
            return;
        var index = _candidates.FindIndex(c => _target.CompareDistance(contact.Id, c.Contact.Id) < 0);
        if (index < 0)
            index = _candidates.Count;
        if (index >= _maxCandidates)
            return;
        _candidates.Insert(index, new Candidate(contact, hop));
        if (_candidates.Count > _maxCandidates && _candidates[^1].Status != CandidateStatus.InFlight)
            _candidates.RemoveAt(_candidates.Count - 1);
    }

    /// <summary>The closest candidate not yet asked, among the K closest that have not failed.</summary>
    private Candidate? NextCandidate()
    {
        var alive = 0;
        foreach (var candidate in _candidates)
        {
            if (candidate.Status == CandidateStatus.Failed)
                continue;
            if (candidate.Status == CandidateStatus.NotQueried)
                return candidate;
            if (++alive >= _k)
                return null;
        }
        return null;
    }

    private bool Converged()
    {
        var alive = 0;
        foreach (var candidate in _candidates)
        {
            if (candidate.Status == CandidateStatus.Failed)
                continue;
            if (candidate.Status != CandidateStatus.Responded)
                return false;
            if (++alive >= _k)
                return true;
        }
        return false; // fewer than K known: keep waiting for what is in flight
    }

    private DhtLookupResult Result(TimeSpan elapsed)
    {
        var closest = _candidates.Where(c => c.Status == CandidateStatus.Responded).Take(_k).ToList();
        var tokens = closest.Where(c => c.Token is not null).ToDictionary(c => c.Contact, c => c.Token!);
        var hops = closest.Count > 0 ? closest[0].Hop + 1 : 0;
        return new DhtLookupResult(_target, closest.Select(c => c.Contact).ToList(), _peerOrder.ToList(), _queries, _responses,
            hops, elapsed, _steps.ToList())
        {
            Tokens = tokens,
        };
    }

    private enum CandidateStatus
    {
        NotQueried,
        InFlight,
        Responded,
        Failed,
    }

    private sealed class Candidate(NodeContact contact, int hop)
    {
        public NodeContact Contact { get; } = contact;

        public int Hop { get; } = hop;

        public CandidateStatus Status { get; set; }

        public byte[]? Token { get; set; }
    }
}
