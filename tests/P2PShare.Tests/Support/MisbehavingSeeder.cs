using System.Diagnostics;
using System.Net;
using System.Net.Sockets;

namespace P2PShare.Tests.Support;

/// <summary>
/// A small BitTorrent seeder for tests (BEP 3, plus BEP 10/9 for the metadata misbehaviours; single-file torrents) that misbehaves on purpose.
/// It listens on a loopback address, answers the client's handshake, sends a bitfield with every piece,
/// unchokes, and then answers requests from the data file according to <see cref="SeederMisbehaviour"/>
/// (one <see cref="MisbehavingSeederSession"/> per connection). It records every connection (when, how it
/// ended, who closed it) for the test to assert on. Its wire code is <see cref="RawPeerWire"/>, not the
/// client's codecs.
/// </summary>
public sealed class MisbehavingSeeder : IAsyncDisposable
{
    /// <summary>The huge length prefix: ~2 GiB of "piece" the client must never try to buffer.</summary>
    public const uint HugeLength = 0x7FFF_FFF0;

    /// <summary>How much junk follows the huge prefix at most (the client should have hung up long before).</summary>
    public const long MaxJunkBytes = 256L * 1024 * 1024;

    private readonly TcpListener _listener;
    private readonly CancellationTokenSource _stop = new();
    private readonly Stopwatch _clock = Stopwatch.StartNew();
    private readonly Lock _lock = new();
    private readonly List<MisbehavingSeederSession> _sessions = [];
    private readonly List<Task> _handlers = [];
    private Task? _acceptLoop;

    private MisbehavingSeeder(SeederMisbehaviour behaviour, IPAddress address, ReadOnlySpan<byte> infoHash, string dataFile, int pieceLength, long totalLength, byte[] infoBytes)
    {
        InfoBytes = infoBytes;
        Behaviour = behaviour;
        InfoHash = infoHash.ToArray();
        DataFile = dataFile;
        PieceLength = pieceLength;
        TotalLength = totalLength;
        PieceCount = (int)((totalLength + pieceLength - 1) / pieceLength);
        PeerId = RawPeerWire.NewPeerId();
        _listener = new TcpListener(address, 0);
    }

    public SeederMisbehaviour Behaviour { get; }

    public IPEndPoint EndPoint => (IPEndPoint)_listener.LocalEndpoint;

    /// <summary>HOST:PORT, for the client's --peer.</summary>
    public string PeerArgument => $"{EndPoint.Address}:{EndPoint.Port}";

    /// <summary>Time since this seeder started (the clock of <see cref="MisbehavingSeederConnection.AcceptedAt"/>).</summary>
    public TimeSpan Elapsed => _clock.Elapsed;

    internal byte[] InfoHash { get; }

    internal byte[] PeerId { get; }

    internal string DataFile { get; }

    internal int PieceLength { get; }

    internal long TotalLength { get; }

    internal int PieceCount { get; }

    /// <summary>Runs on each accepted connection before the BitTorrent handshake (null: plain BitTorrent).</summary>
    internal Func<Stream, CancellationToken, Task<Stream>>? Transport { get; private set; }

    /// <summary>The torrent's info dictionary (what an honest ut_metadata peer serves).</summary>
    internal byte[] InfoBytes { get; }

    /// <summary>The real size of the torrent's info dictionary (what an honest ut_metadata peer announces).</summary>
    internal int MetadataSize => InfoBytes.Length;

    /// <summary>
    /// Starts a seeder for the single-file torrent at <paramref name="torrentPath"/> whose complete content is
    /// <paramref name="dataFile"/>. <paramref name="address"/> defaults to 127.0.0.1; another 127.x.y.z address
    /// gives the seeder an IP of its own (the client bans by IP).
    /// </summary>
    /// <remarks>
    /// <paramref name="transport"/>, when given, runs on each accepted connection before the BitTorrent handshake and
    /// returns the stream to speak it on (an encryption handshake, for instance); if it throws, the connection ends
    /// with its message as the reason.
    /// </remarks>
    public static async Task<MisbehavingSeeder> StartAsync(SeederMisbehaviour behaviour, string torrentPath, string dataFile, IPAddress? address = null,
        CancellationToken cancellationToken = default, Func<Stream, CancellationToken, Task<Stream>>? transport = null)
    {
        var torrent = await P2PShare.Metainfo.TorrentParser.LoadAsync(torrentPath, cancellationToken).ConfigureAwait(false);
        if (torrent.IsMultiFile)
        {
            throw new ArgumentException("MisbehavingSeeder serves single-file torrents only", nameof(torrentPath));
        }
        if (new FileInfo(dataFile).Length != torrent.TotalLength)
        {
            throw new ArgumentException($"{dataFile} is not the torrent's content ({torrent.TotalLength} bytes)", nameof(dataFile));
        }
        var seeder = new MisbehavingSeeder(behaviour, address ?? IPAddress.Loopback, torrent.InfoHash.Span, dataFile, torrent.PieceLength, torrent.TotalLength, torrent.InfoBytes.ToArray());
        seeder.Transport = transport;
        seeder._listener.Start();
        seeder._acceptLoop = seeder.AcceptLoopAsync();
        return seeder;
    }

    /// <summary>Snapshot of every connection so far, in accept order.</summary>
    public IReadOnlyList<MisbehavingSeederConnection> Connections
    {
        get
        {
            lock (_lock)
            {
                return _sessions.Select(s => s.Snapshot()).ToList();
            }
        }
    }

    public string Describe() =>
        $"MisbehavingSeeder({Behaviour}) on {PeerArgument}, connections:{Environment.NewLine}" +
        string.Join(Environment.NewLine, Connections.Select(c => "  " + c));

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync().ConfigureAwait(false);
        _listener.Stop();
        Task[] handlers;
        lock (_lock)
        {
            handlers = [.. _handlers];
        }
        var all = handlers.Append(_acceptLoop ?? Task.CompletedTask);
        await Task.WhenAll(all).WaitAsync(TimeSpan.FromSeconds(10)).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        _stop.Dispose();
    }

    private async Task AcceptLoopAsync()
    {
        while (!_stop.IsCancellationRequested)
        {
            Socket socket;
            try
            {
                socket = await _listener.AcceptSocketAsync(_stop.Token).ConfigureAwait(false);
            }
            catch (Exception e) when (e is OperationCanceledException or ObjectDisposedException or SocketException)
            {
                return;
            }
            lock (_lock)
            {
                var session = new MisbehavingSeederSession(this, _sessions.Count + 1, _clock);
                _sessions.Add(session);
                var token = _stop.Token;
                _handlers.Add(Task.Run(() => session.RunAsync(socket, token)));
            }
        }
    }
}
