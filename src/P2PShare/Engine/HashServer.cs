using P2PShare.Metainfo;
using P2PShare.Protocol.Wire;

namespace P2PShare.Engine;

/// <summary>
/// Answers BEP 52 hash requests from what the torrent holds: a file's piece layer (from the .torrent, or fetched), or
/// its root for a file of one piece; requests below that layer (block hashes) go to the <see cref="BlockHashServer"/>,
/// which computes them from our verified data. Anything else (ranges out of the file, a file or piece we do not have)
/// gets a hash reject. A peer gets at most <see cref="MaxAnswersPerSecond"/> answers a second; more are rejected, so a flood of
/// 53-byte requests cannot make us queue 34 KiB answers. Runs under the torrent session's lock.
/// </summary>
internal sealed class HashServer(Torrent torrent, TimeProvider time)
{
    public const int MaxAnswersPerSecond = 8;
    private readonly Dictionary<string, TorrentFile> _files = FilesByRoot(torrent);
    private readonly System.Runtime.CompilerServices.ConditionalWeakTable<PeerSession, AnswerWindow> _windows = [];

    public int Answered { get; private set; }

    public int Rejected { get; private set; }

    /// <summary>Answers requests below the piece layer (block hashes) from our data; null: they are rejected.</summary>
    public BlockHashServer? Blocks { get; set; }

    public void OnRequest(PeerSession peer, in HashRequest request)
    {
        var overBudget = OverBudget(peer);
        if (!overBudget && Blocks is not null && _files.TryGetValue(request.Root, out var file)
            && request.BaseLayer < BlockHashServer.KnownLayer(torrent, file))
        {
            var asked = request;
            Blocks.Answer(file, asked, answer => Reply(peer, asked, answer));
            return;
        }
        Reply(peer, request, overBudget ? null : Answer(request));
    }

    private void Reply(PeerSession peer, in HashRequest request, byte[]? answer)
    {
        if (answer is null)
        {
            Rejected++;
            peer.Enqueue(OutgoingMessage.Frame(HashMessages.EncodeRequest(MessageId.HashReject, request)));
            return;
        }
        Answered++;
        peer.Enqueue(OutgoingMessage.Frame(HashMessages.EncodeHashes(request, answer)));
    }

    /// <summary>The hashes and proof for a request, or null when we cannot or will not answer it.</summary>
    public byte[]? Answer(in HashRequest request)
    {
        if (!_files.TryGetValue(request.Root, out var file))
            return null;
        if (file.Length <= torrent.PieceLength)
            return MerkleProof.Answer(file.PiecesRoot, MerkleProof.Height(file.Length), file.Length, request.BaseLayer, request.Index, request.Length, request.ProofLayers);
        if (!torrent.V2!.TryGetLayer(file.PiecesRoot, out var layer))
            return null;
        return MerkleProof.Answer(layer.Span, MerkleProof.PieceLayer(torrent.PieceLength), file.Length, request.BaseLayer, request.Index, request.Length,
            request.ProofLayers);
    }

    internal static Dictionary<string, TorrentFile> FilesByRoot(Torrent torrent)
    {
        var files = new Dictionary<string, TorrentFile>(StringComparer.Ordinal);
        foreach (var file in torrent.Files)
            if (!file.IsPadding && file.Length > 0 && file.PiecesRoot is { Length: MerkleTree.HashSize } root)
                files.TryAdd(Convert.ToHexStringLower(root), file);
        return files;
    }

    private bool OverBudget(PeerSession peer)
    {
        var window = _windows.GetOrCreateValue(peer);
        var now = time.GetTimestamp();
        if (time.GetElapsedTime(window.StartedAt, now) >= TimeSpan.FromSeconds(1))
        {
            window.StartedAt = now;
            window.Count = 0;
        }
        return ++window.Count > MaxAnswersPerSecond;
    }

    private sealed class AnswerWindow
    {
        public long StartedAt { get; set; }

        public int Count { get; set; }
    }
}
