using System.Net;
using System.Threading.Channels;
using P2PShare.Networking.Udp;

namespace P2PShare.Tests.Utp;

/// <summary>
/// Two datagram endpoints joined in memory, for uTP tests: each send is copied and delivered to the other side's
/// handler on a pump task (asynchronously, as a real socket would), unless the link drops it. Loss and reordering are
/// seeded (reproducible); <see cref="DropAll"/> cuts the link.
/// </summary>
internal sealed class InMemoryDatagramLink : IAsyncDisposable
{
    private readonly CancellationTokenSource _stop = new();
    private readonly List<Task> _pumps = [];

    public InMemoryDatagramLink(double lossRate = 0, double reorderRate = 0, int seed = 1)
    {
        var random = new Random(seed);
        A = new Side(this, new IPEndPoint(IPAddress.Loopback, 10001), random, lossRate, reorderRate);
        B = new Side(this, new IPEndPoint(IPAddress.Loopback, 10002), random, lossRate, reorderRate);
        A.Peer = B;
        B.Peer = A;
    }

    public Side A { get; }
    public Side B { get; }

    /// <summary>When set, every datagram is dropped.</summary>
    public bool DropAll { get => Volatile.Read(ref _dropAll); set => Volatile.Write(ref _dropAll, value); }

    private bool _dropAll;

    public void Start(IDatagramHandler handlerA, IDatagramHandler handlerB)
    {
        A.Handler = handlerA;
        B.Handler = handlerB;
        _pumps.Add(A.PumpAsync(_stop.Token));
        _pumps.Add(B.PumpAsync(_stop.Token));
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        await Task.WhenAll(_pumps).WaitAsync(TimeSpan.FromSeconds(5)).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        _stop.Dispose();
    }

    internal sealed class Side(InMemoryDatagramLink link, IPEndPoint endPoint, Random random, double lossRate, double reorderRate) : IDatagramSender
    {
        private readonly Channel<(byte[] Data, IPEndPoint From)> _inbox = Channel.CreateUnbounded<(byte[], IPEndPoint)>();
        private long _delivered;
        private long _dropped;

        public IPEndPoint EndPoint { get; } = endPoint;
        public Side Peer { get; set; } = null!;
        public IDatagramHandler? Handler { get; set; }
        public int Port => EndPoint.Port;
        public long Delivered => Interlocked.Read(ref _delivered);
        public long Dropped => Interlocked.Read(ref _dropped);

        public ValueTask SendAsync(ReadOnlyMemory<byte> datagram, IPEndPoint to, CancellationToken cancellationToken)
        {
            var copy = datagram.ToArray();
            bool drop;
            bool reorder;
            lock (random)
            {
                drop = random.NextDouble() < lossRate;
                reorder = random.NextDouble() < reorderRate;
            }
            if (link.DropAll || drop)
            {
                Interlocked.Increment(ref Peer._dropped);
                return ValueTask.CompletedTask;
            }
            Peer.Enqueue(copy, new IPEndPoint(EndPoint.Address, EndPoint.Port), reorder);
            return ValueTask.CompletedTask;
        }

        private (byte[] Data, IPEndPoint From)? _held;

        private void Enqueue(byte[] data, IPEndPoint from, bool reorder)
        {
            lock (_inbox)
            {
                if (reorder && _held is null)
                {
                    _held = (data, from);   // delivered after the next datagram
                    return;
                }
                _inbox.Writer.TryWrite((data, from));
                if (_held is { } held)
                {
                    _held = null;
                    _inbox.Writer.TryWrite(held);
                }
            }
        }

        internal async Task PumpAsync(CancellationToken cancellationToken)
        {
            try
            {
                await foreach (var (data, from) in _inbox.Reader.ReadAllAsync(cancellationToken))
                {
                    Handler!.TryHandle(data, from);
                    Interlocked.Increment(ref _delivered);
                }
            }
            catch (OperationCanceledException)
            {
            }
        }
    }
}
