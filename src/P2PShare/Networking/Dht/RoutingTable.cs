using System.Net;
using P2PShare.Protocol.Dht;

namespace P2PShare.Networking.Dht;

/// <summary>
/// The BEP 5 routing table: k-buckets over the 160-bit id space, where only the bucket holding our own id splits.
/// A full bucket takes a new node only in place of a bad one; others wait in the bucket's replacement cache
/// (k long) and step in when a node goes bad. Not thread-safe: <see cref="DhtNode"/> calls it under its lock.
/// </summary>
internal sealed class RoutingTable
{
    private readonly List<RoutingBucket> _buckets;
    private readonly Dictionary<IPEndPoint, RoutingEntry> _byEndPoint = [];
    private readonly TimeProvider _time;

    public RoutingTable(NodeId ownId, int bucketSize, TimeSpan activeWindow, int maxFailures, TimeProvider time)
    {
        OwnId = ownId;
        BucketSize = bucketSize;
        ActiveWindow = activeWindow;
        MaxFailures = maxFailures;
        _time = time;
        _buckets = [new RoutingBucket(0, time.GetUtcNow())];
    }

    public NodeId OwnId { get; }

    public int BucketSize { get; }

    public TimeSpan ActiveWindow { get; }

    public int MaxFailures { get; }

    public IReadOnlyList<RoutingBucket> Buckets => _buckets;

    public int Count => _byEndPoint.Count;

    public IEnumerable<RoutingEntry> Entries => _buckets.SelectMany(b => b.Nodes);

    public int CountIn(NodeState state)
    {
        var now = _time.GetUtcNow();
        return Entries.Count(e => e.State(now, ActiveWindow, MaxFailures) == state);
    }

    public int BucketIndex(NodeId id) => Math.Min(OwnId.CommonPrefixLength(id), _buckets.Count - 1);

    public RoutingEntry? Find(NodeId id) => _buckets[BucketIndex(id)].Nodes.Find(e => e.Id == id);

    /// <summary>Records that <paramref name="contact"/> answered us (<paramref name="responded"/>) or queried us.</summary>
    public RoutingUpdate Heard(NodeContact contact, bool responded)
    {
        if (contact.Id == OwnId)
            return RoutingUpdate.Rejected;
        var now = _time.GetUtcNow();
        while (true)
        {
            var bucket = _buckets[BucketIndex(contact.Id)];
            var existing = bucket.Nodes.Find(e => e.Id == contact.Id);
            if (existing is not null)
            {
                if (!existing.Contact.EndPoint.Equals(contact.EndPoint))
                {
                    // Same id from another address: keep the node we know unless it stopped answering.
                    if (State(existing, now) != NodeState.Bad || !responded || _byEndPoint.ContainsKey(contact.EndPoint))
                        return RoutingUpdate.Rejected;
                    _byEndPoint.Remove(existing.Contact.EndPoint);
                    existing.Contact = contact;
                    _byEndPoint[contact.EndPoint] = existing;
                }
                Touch(existing, bucket, responded, now);
                return RoutingUpdate.Updated;
            }
            if (_byEndPoint.TryGetValue(contact.EndPoint, out var sameAddress))
            {
                // One address, another id: a restarted node gets its new id only once the old entry went bad.
                if (State(sameAddress, now) != NodeState.Bad || !responded)
                    return RoutingUpdate.Rejected;
                Remove(sameAddress);
                continue;
            }
            var entry = new RoutingEntry(contact, now);
            if (bucket.Nodes.Count < BucketSize)
            {
                Insert(bucket, entry, responded, now);
                return RoutingUpdate.Added;
            }
            if (ReferenceEquals(bucket, _buckets[^1]) && _buckets.Count < NodeId.Bits)
            {
                Split();
                continue;
            }
            var bad = bucket.Nodes.Find(e => State(e, now) == NodeState.Bad);
            if (bad is not null)
            {
                Remove(bad);
                Insert(bucket, entry, responded, now);
                return RoutingUpdate.Replaced;
            }
            Cache(bucket, entry, responded, now);
            return RoutingUpdate.Cached;
        }
    }

    /// <summary>A query to <paramref name="id"/> went unanswered; a node that turns bad is replaced from the cache.</summary>
    public void Failed(NodeId id)
    {
        var bucket = _buckets[BucketIndex(id)];
        var entry = bucket.Nodes.Find(e => e.Id == id);
        if (entry is null)
        {
            bucket.Replacements.RemoveAll(e => e.Id == id);
            return;
        }
        entry.Failures++;
        var now = _time.GetUtcNow();
        if (State(entry, now) != NodeState.Bad || bucket.Replacements.Count == 0)
            return;
        // Prefer the most recent replacement that has answered us.
        var replacement = bucket.Replacements.FindLast(e => e.LastResponse is not null) ?? bucket.Replacements[^1];
        bucket.Replacements.Remove(replacement);
        Remove(entry);
        if (_byEndPoint.ContainsKey(replacement.Contact.EndPoint))
            return;
        bucket.Nodes.Add(replacement);
        _byEndPoint[replacement.Contact.EndPoint] = replacement;
        bucket.LastChanged = now;
    }

    /// <summary>The <paramref name="count"/> known nodes closest to <paramref name="target"/>, bad nodes left out.</summary>
    public List<NodeContact> Closest(NodeId target, int count)
    {
        var now = _time.GetUtcNow();
        return Entries.Where(e => State(e, now) != NodeState.Bad)
            .Select(e => e.Contact)
            .OrderBy(c => c.Id.Xor(target))
            .Take(count)
            .ToList();
    }

    /// <summary>Questionable nodes not pinged within <paramref name="pingInterval"/>, marked as pinged now.</summary>
    public List<NodeContact> TakeNodesToPing(int max, TimeSpan pingInterval)
    {
        var now = _time.GetUtcNow();
        var result = new List<NodeContact>();
        foreach (var entry in Entries)
        {
            if (result.Count >= max)
                break;
            if (State(entry, now) != NodeState.Questionable || entry.LastPing is { } last && now - last < pingInterval)
                continue;
            entry.LastPing = now;
            result.Add(entry.Contact);
        }
        return result;
    }

    /// <summary>A random id in the range of each bucket unchanged for <paramref name="interval"/> (stalest first).</summary>
    public List<NodeId> StaleBucketTargets(TimeSpan interval, Random random)
    {
        var now = _time.GetUtcNow();
        return _buckets.Where(b => now - b.LastChanged >= interval)
            .OrderBy(b => b.LastChanged)
            .Select(b => RandomIdIn(b, random))
            .ToList();
    }

    /// <summary>Marks the bucket holding <paramref name="target"/> as refreshed (a lookup into it was made).</summary>
    public void MarkRefreshed(NodeId target) => _buckets[BucketIndex(target)].LastChanged = _time.GetUtcNow();

    public NodeId RandomIdIn(RoutingBucket bucket, Random random)
    {
        Span<byte> own = stackalloc byte[NodeId.Length];
        Span<byte> id = stackalloc byte[NodeId.Length];
        OwnId.WriteTo(own);
        random.NextBytes(id);
        var isLast = ReferenceEquals(bucket, _buckets[^1]);
        // Keep our first Depth bits; in a non-last bucket the next bit must differ from ours.
        var fixedBits = isLast ? bucket.Depth : bucket.Depth + 1;
        for (var bit = 0; bit < fixedBits; bit++)
        {
            var mask = (byte)(0x80 >> (bit % 8));
            var ours = (own[bit / 8] & mask) != 0;
            var want = bit == bucket.Depth ? !ours : ours;
            id[bit / 8] = (byte)(want ? id[bit / 8] | mask : id[bit / 8] & ~mask);
        }
        return new NodeId(id);
    }

    private NodeState State(RoutingEntry entry, DateTimeOffset now) => entry.State(now, ActiveWindow, MaxFailures);

    private void Touch(RoutingEntry entry, RoutingBucket bucket, bool responded, DateTimeOffset now)
    {
        if (responded)
        {
            entry.LastResponse = now;
            entry.Failures = 0;
            bucket.LastChanged = now;
        }
        else
        {
            entry.LastQueryFrom = now;
        }
    }

    private void Insert(RoutingBucket bucket, RoutingEntry entry, bool responded, DateTimeOffset now)
    {
        bucket.Replacements.RemoveAll(e => e.Id == entry.Id);
        bucket.Nodes.Add(entry);
        _byEndPoint[entry.Contact.EndPoint] = entry;
        Touch(entry, bucket, responded, now);
        bucket.LastChanged = now;
    }

    private void Cache(RoutingBucket bucket, RoutingEntry entry, bool responded, DateTimeOffset now)
    {
        var index = bucket.Replacements.FindIndex(e => e.Id == entry.Id || e.Contact.EndPoint.Equals(entry.Contact.EndPoint));
        if (index >= 0)
        {
            entry = bucket.Replacements[index];
            bucket.Replacements.RemoveAt(index);
        }
        else if (bucket.Replacements.Count >= BucketSize)
        {
            bucket.Replacements.RemoveAt(0);
        }
        if (responded)
            entry.LastResponse = now;
        else
            entry.LastQueryFrom = now;
        bucket.Replacements.Add(entry);
    }

    private void Remove(RoutingEntry entry)
    {
        _buckets[BucketIndex(entry.Id)].Nodes.Remove(entry);
        _byEndPoint.Remove(entry.Contact.EndPoint);
    }

    private void Split()
    {
        var last = _buckets[^1];
        var next = new RoutingBucket(last.Depth + 1, last.LastChanged);
        _buckets.Add(next);
        Move(last.Nodes, next.Nodes, last.Depth);
        Move(last.Replacements, next.Replacements, last.Depth);
    }

    private void Move(List<RoutingEntry> from, List<RoutingEntry> to, int depth)
    {
        for (var i = from.Count - 1; i >= 0; i--)
        {
            if (OwnId.CommonPrefixLength(from[i].Id) > depth)
            {
                to.Insert(0, from[i]);
                from.RemoveAt(i);
            }
        }
    }
}
