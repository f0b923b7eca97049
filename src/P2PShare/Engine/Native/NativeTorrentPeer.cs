using P2PShare.Networking.Native;
using P2PShare.Protocol;

namespace P2PShare.Engine.Native;

/// <summary>
/// A native-protocol peer of a torrent: which native pieces it has, the torrent pieces they cover (what the picker may
/// give it), its open requests and how its pieces turned out. Guarded by the torrent session's lock.
/// </summary>
internal sealed class NativeTorrentPeer : IPieceSender
{
    private readonly PieceVerdicts _verdicts = new();

    public NativeTorrentPeer(NativeConnection connection, NativePieceMap map, TimeProvider time, CancellationToken lifetime)
    {
        Connection = connection;
        Map = map;
        NativeHas = new Bitfield(map.NativeCount);
        Has = new Bitfield(map.TorrentCount);
        SentHave = new Bitfield(map.NativeCount);
        DownloadRate = new RateEstimator(time);
        Stop = CancellationTokenSource.CreateLinkedTokenSource(lifetime);
    }

    public NativeConnection Connection { get; }

    /// <summary>The piece layout agreed with this peer (its piece size).</summary>
    public NativePieceMap Map { get; }

    public string Id => Connection.RemoteHandshake.Id;

    public string Name => $"native:{Id}@{Connection.RemoteEndPoint}";

    /// <summary>Native pieces it said it has.</summary>
    public Bitfield NativeHas { get; }

    /// <summary>Torrent pieces all of whose bytes it has: counted in the picker's availability.</summary>
    public Bitfield Has { get; }

    /// <summary>Native pieces we told it we have (bitfield or have).</summary>
    public Bitfield SentHave { get; }

    /// <summary>Open requests by native piece: the torrent pieces waiting for its bytes.</summary>
    public Dictionary<int, List<NativeWaiter>> Pending { get; } = [];

    public RateEstimator DownloadRate { get; }

    /// <summary>Torrent pieces this peer is fetching now.</summary>
    public HashSet<int> Fetching { get; } = [];

    public CancellationTokenSource Stop { get; }

    public bool UnderstandsExtensions => Connection.RemoteHandshake.Extensions >= 1;

    public int InFlight { get; set; }

    public int HashFailures { get; private set; }

    public int TimeoutsInARow { get; set; }

    public long VerifiedBytes { get; private set; }

    public PeerSource Source => PeerSource.Native;

    public Task<bool> AwaitVerdict(int pieceIndex)
        => _verdicts.Await(pieceIndex);

    public void OnPieceVerified(int pieceIndex, int bytes)
    {
        _verdicts.Decide(pieceIndex, passed: true);
        VerifiedBytes += bytes;
        TimeoutsInARow = 0;
    }

    public void OnPieceFailed(int pieceIndex)
    {
        _verdicts.Decide(pieceIndex, passed: false);
        HashFailures++;
    }

    /// <summary>Fails every open request and verdict (the connection ended).</summary>
    public void FailAll()
    {
        foreach (var waiter in Pending.Values.SelectMany(w => w))
            waiter.Done.TrySetResult(false);
        Pending.Clear();
        _verdicts.FailAll();
    }
}

/// <summary>A torrent piece being filled from a native piece that was requested.</summary>
internal sealed record NativeWaiter(PieceDownload Piece, TaskCompletionSource<bool> Done);
