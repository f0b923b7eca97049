using System.Buffers.Binary;
using System.Net;
using P2PShare.Protocol.Dht;

namespace P2PShare.Networking.Dht;

/// <summary>
/// Outstanding queries by 2-byte transaction id, bounded in size. A reply completes its query only when it
/// comes from the address the query went to. Thread-safe (its own lock).
/// </summary>
internal sealed class TransactionTable(int capacity, Random random)
{
    private readonly Dictionary<ushort, Pending> _pending = [];
    private ushort _next = (ushort)random.Next(ushort.MaxValue + 1);

    public int Count
    {
        get
        {
            lock (_pending)
                return _pending.Count;
        }
    }

    /// <summary>Registers a query to <paramref name="to"/>; false when the table is full.</summary>
    public bool TryAdd(IPEndPoint to, out ushort id, out Task<KrpcMessage> reply)
    {
        lock (_pending)
        {
            id = 0;
            reply = Task.FromResult<KrpcMessage>(null!);
            if (_pending.Count >= capacity)
                return false;
            while (_pending.ContainsKey(_next))
                _next++;
            id = _next++;
            var pending = new Pending(to, new TaskCompletionSource<KrpcMessage>(TaskCreationOptions.RunContinuationsAsynchronously));
            _pending[id] = pending;
            reply = pending.Completion.Task;
            return true;
        }
    }

    public static byte[] ToBytes(ushort id)
    {
        var bytes = new byte[2];
        BinaryPrimitives.WriteUInt16BigEndian(bytes, id);
        return bytes;
    }

    /// <summary>Completes the query a reply answers; false when no such query went to <paramref name="from"/>.</summary>
    public bool TryComplete(KrpcMessage reply, IPEndPoint from)
    {
        if (reply.TransactionId.Length != 2)
            return false;
        var id = BinaryPrimitives.ReadUInt16BigEndian(reply.TransactionId);
        Pending? pending;
        lock (_pending)
        {
            if (!_pending.TryGetValue(id, out pending) || !pending.To.Equals(from))
                return false;
            _pending.Remove(id);
        }
        pending.Completion.TrySetResult(reply);
        return true;
    }

    public void Remove(ushort id)
    {
        lock (_pending)
            _pending.Remove(id);
    }

    private sealed record Pending(IPEndPoint To, TaskCompletionSource<KrpcMessage> Completion);
}
