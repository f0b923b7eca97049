namespace P2PShare.Metainfo;

/// <summary>
/// The BEP 52 side of a v2 or hybrid torrent: its SHA-256 info-hash and the piece layers (one 32-byte hash per piece
/// of each file larger than a piece, keyed by the file's pieces root). Layers are absent until known (a magnet).
/// </summary>
internal sealed class TorrentV2Part
{
    private readonly System.Collections.Concurrent.ConcurrentDictionary<string, ReadOnlyMemory<byte>> _layers;

    public TorrentV2Part(InfoHashV2 infoHash, IReadOnlyDictionary<string, ReadOnlyMemory<byte>>? pieceLayers = null)
    {
        InfoHash = infoHash;
        _layers = new System.Collections.Concurrent.ConcurrentDictionary<string, ReadOnlyMemory<byte>>(
            pieceLayers ?? new Dictionary<string, ReadOnlyMemory<byte>>(), StringComparer.Ordinal);
    }

    public InfoHashV2 InfoHash { get; }

    /// <summary>Piece layers by lowercase hex pieces root.</summary>
    public IReadOnlyDictionary<string, ReadOnlyMemory<byte>> PieceLayers => _layers;

    public bool TryGetLayer(ReadOnlySpan<byte> piecesRoot, out ReadOnlyMemory<byte> layer) =>
        _layers.TryGetValue(Convert.ToHexStringLower(piecesRoot), out layer);

    /// <summary>
    /// Adds a piece layer learnt while running (BEP 52 hashes from peers, for a torrent started from a magnet); the caller
    /// has checked it against the file's root (<see cref="TorrentParser.CheckPieceLayer"/>). Safe from any thread.
    /// </summary>
    public bool TryAddLayer(ReadOnlySpan<byte> piecesRoot, ReadOnlyMemory<byte> layer) =>
        _layers.TryAdd(Convert.ToHexStringLower(piecesRoot), layer);

    /// <summary>This part with the layers of <paramref name="more"/> added (each already checked against its root).</summary>
    public TorrentV2Part WithLayers(IReadOnlyDictionary<string, ReadOnlyMemory<byte>> more)
    {
        var all = new Dictionary<string, ReadOnlyMemory<byte>>(_layers, StringComparer.Ordinal);
        foreach (var (root, layer) in more)
            all[root] = layer;
        return new TorrentV2Part(InfoHash, all);
    }
}
