using Microsoft.Extensions.Logging;
using P2PShare.Metainfo;
using P2PShare.Protocol.Wire;

namespace P2PShare.Engine;

/// <summary>
/// Fetches the piece layers a v2 torrent started from a magnet lacks (its info dictionary has only each file's root):
/// each missing layer is asked for in runs of up to <see cref="RunLength"/> hashes, each with the uncle hashes that prove
/// it up to the file's root, spread over the peers that speak v2. A proven run is kept; when a file's runs are all in,
/// the whole layer is checked against the root once more and added to the torrent, and pieces of that file can be
/// verified. A run that does not prove the root is a protocol error of its sender. Runs under the session's lock.
/// </summary>
internal sealed class PieceLayerFetcher
{
    public const int RunLength = 512;
    private readonly Torrent _torrent;
    private readonly List<PeerSession> _peers;
    private readonly HashExchange _exchange;
    private readonly ILogger _logger;
    private readonly List<MissingLayer> _missing = [];
    private int _nextPeer;

    public PieceLayerFetcher(Torrent torrent, List<PeerSession> peers, HashExchange exchange, ILogger logger)
    {
        _torrent = torrent;
        _peers = peers;
        _exchange = exchange;
        _logger = logger;
        if (torrent.V2 is null)
            return;
        foreach (var file in HashServer.FilesByRoot(torrent).Values)
            if (file.Length > torrent.PieceLength && !torrent.V2.TryGetLayer(file.PiecesRoot, out _))
                _missing.Add(new MissingLayer(file, torrent.PieceLength));
    }

    /// <summary>Layers still missing (files larger than a piece whose layer is not known yet).</summary>
    public int MissingCount => _missing.Count;

    /// <summary>Raised (under the session's lock) when a file's piece layer has been proven and added to the torrent.</summary>
    public event Action<TorrentFile>? LayerAdded;

    /// <summary>Layers received from peers in this session.</summary>
    public int Received { get; private set; }

    /// <summary>Asks the peers for the runs that are neither in nor asked for; call when peers or answers come.</summary>
    public void Pump()
    {
        if (_missing.Count == 0 || _peers.Count == 0)
            return;
        foreach (var layer in _missing)
        {
            for (var run = 0; run < layer.Runs.Length; run++)
            {
                if (layer.Runs[run] != RunState.Wanted)
                    continue;
                if (!SendToSomePeer(layer, run))
                    return; // Every peer is busy or none speaks v2: the tick tries again.
            }
        }
    }

    private bool SendToSomePeer(MissingLayer layer, int run)
    {
        for (var tried = 0; tried < _peers.Count; tried++)
        {
            var peer = _peers[_nextPeer++ % _peers.Count];
            if (layer.RefusedBy.Contains(peer) || !(peer.Has.CountSet > 0 || peer.CountedAsSeed))
                continue;
            if (_exchange.TrySend(peer, layer.Request(run), OnAnswer))
            {
                layer.Runs[run] = RunState.Asked;
                return true;
            }
        }
        return false;
    }

    private void OnAnswer(PeerSession peer, HashRequest request, byte[]? hashes)
    {
        var layer = _missing.Find(l => l.Root == request.Root);
        if (layer is null)
            return; // Completed meanwhile by another peer's answer.
        var run = request.Index / layer.RunWidth;
        if (hashes is null)
        {
            // Rejected or timed out: someone else is asked.
            layer.RefusedBy.Add(peer);
            if (layer.Runs[run] == RunState.Asked)
                layer.Runs[run] = RunState.Wanted;
            Pump();
            return;
        }
        Span<byte> top = stackalloc byte[MerkleTree.HashSize];
        var (topLayer, topIndex) = MerkleProof.Fold(hashes, request.BaseLayer, request.Index, request.Length, top);
        if (topLayer != MerkleProof.Height(layer.File.Length) || topIndex != 0 || !top.SequenceEqual(layer.File.PiecesRoot))
            throw new PeerProtocolException($"hashes for '{layer.File.DisplayPath}' [{request.Index}, +{request.Length}) do not prove its root");
        if (layer.Runs[run] != RunState.In)
        {
            var start = request.Index * MerkleTree.HashSize;
            var count = Math.Min(request.Length, layer.Pieces - request.Index);
            hashes.AsSpan(0, count * MerkleTree.HashSize).CopyTo(layer.Buffer.AsSpan(start));
            layer.Runs[run] = RunState.In;
        }
        if (layer.Runs.All(r => r == RunState.In))
            Install(layer, peer);
        Pump();
    }

    private void Install(MissingLayer layer, PeerSession from)
    {
        _missing.Remove(layer);
        TorrentParser.CheckPieceLayer(layer.File, _torrent.PieceLength, layer.Buffer);
        _torrent.V2!.TryAddLayer(layer.File.PiecesRoot, layer.Buffer);
        Received++;
        LayerAdded?.Invoke(layer.File);
        _logger.LogInformation("Piece layer of '{File}' ({Pieces} hashes) received and proven against its root (last run from {Peer})",
            layer.File.DisplayPath, layer.Pieces, from.Name);
    }

    private enum RunState : byte
    {
        Wanted,
        Asked,
        In,
    }

    private sealed class MissingLayer
    {
        public MissingLayer(TorrentFile file, int pieceLength)
        {
            File = file;
            Root = Convert.ToHexStringLower(file.PiecesRoot!);
            Pieces = (int)((file.Length + pieceLength - 1) / pieceLength);
            PieceLayer = MerkleProof.PieceLayer(pieceLength);
            ProofLayers = MerkleProof.ProofLayersTo(MerkleProof.Height(file.Length) - PieceLayer);
            RunWidth = (int)Math.Min(RunLength, MerkleProof.LayerWidth(file.Length, PieceLayer));
            Runs = new RunState[(Pieces + RunWidth - 1) / RunWidth];
            Buffer = new byte[Pieces * MerkleTree.HashSize];
        }

        public TorrentFile File { get; }

        public string Root { get; }

        public int Pieces { get; }

        public int PieceLayer { get; }

        public int ProofLayers { get; }

        public int RunWidth { get; }

        public RunState[] Runs { get; }

        public byte[] Buffer { get; }

        public HashSet<PeerSession> RefusedBy { get; } = [];

        public HashRequest Request(int run) => new(Root, PieceLayer, run * RunWidth, RunWidth, ProofLayers);
    }
}
