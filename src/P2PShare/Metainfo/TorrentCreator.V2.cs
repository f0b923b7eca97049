using System.Buffers;
using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using P2PShare.Bencode;

namespace P2PShare.Metainfo;

/// <summary>BEP 52 creation: v2-only and hybrid torrents laid out as libtorrent lays them out (same info-hashes).</summary>
internal static partial class TorrentCreator
{
    /// <summary>
    /// Hashes every piece of every file (files in the file tree's order, each starting on a piece boundary): the
    /// merkle piece hash always, and for a hybrid the SHA-1 of the piece padded with zeros as BEP 47 pads it.
    /// </summary>
    private static async Task<byte[]> CreateV2Async(
        TorrentPlan plan, TorrentCreationOptions options, IProgress<long>? bytesHashed, CancellationToken cancellationToken,
        int? degreeOfParallelism)
    {
        var pieceLength = plan.PieceLength;
        if (pieceLength < MerkleTree.BlockSize || (pieceLength & (pieceLength - 1)) != 0)
            throw new ArgumentException("a v2 torrent's piece length is a power of two of at least 16 KiB", nameof(plan));
        var hybrid = options.Version == TorrentVersion.Hybrid;
        var files = plan.Files.OrderBy(f => f.PathSegments, PathOrder.Instance).ToList();
        var firstPiece = new int[files.Count];
        var layers = new byte[files.Count][];
        var work = new List<(int File, int Chunk)>();
        var pieceCount = 0;
        for (var i = 0; i < files.Count; i++)
        {
            var chunks = (int)((files[i].Length + pieceLength - 1) / pieceLength);
            firstPiece[i] = pieceCount;
            layers[i] = new byte[chunks * MerkleTree.HashSize];
            for (var c = 0; c < chunks; c++)
                work.Add((i, c));
            pieceCount += chunks;
        }
        var sha1Pieces = hybrid ? new byte[pieceCount * Torrent.PieceHashLength] : [];
        long hashed = 0;
        var parallel = new ParallelOptions
        {
            CancellationToken = cancellationToken,
            MaxDegreeOfParallelism = degreeOfParallelism ?? Environment.ProcessorCount,
        };
        await Parallel.ForEachAsync(work, parallel, async (item, token) =>
        {
            var file = files[item.File];
            var offset = (long)item.Chunk * pieceLength;
            var size = (int)Math.Min(pieceLength, file.Length - offset);
            var buffer = ArrayPool<byte>.Shared.Rent(pieceLength);
            try
            {
                using (var handle = File.OpenHandle(file.FullPath, FileMode.Open, FileAccess.Read, FileShare.Read, FileOptions.Asynchronous))
                {
                    var read = 0;
                    while (read < size)
                    {
                        var n = await RandomAccess.ReadAsync(handle, buffer.AsMemory(read, size - read), offset + read, token).ConfigureAwait(false);
                        if (n == 0)
                            throw new IOException($"'{file.FullPath}' became shorter while it was being hashed");
                        read += n;
                    }
                }
                MerkleTree.PieceHash(buffer.AsSpan(0, size), pieceLength, file.Length,
                    layers[item.File].AsSpan(item.Chunk * MerkleTree.HashSize, MerkleTree.HashSize));
                if (hybrid)
                {
                    // Multi-file hybrids pad every file to a piece boundary; a single file's last piece stays short.
                    var padded = plan.IsMultiFile ? pieceLength : size;
                    buffer.AsSpan(size, padded - size).Clear();
                    SHA1.HashData(buffer.AsSpan(0, padded),
                        sha1Pieces.AsSpan((firstPiece[item.File] + item.Chunk) * Torrent.PieceHashLength, Torrent.PieceHashLength));
                }
            }
            finally
            {
                ArrayPool<byte>.Shared.Return(buffer);
            }
            bytesHashed?.Report(Interlocked.Add(ref hashed, size));
        }).ConfigureAwait(false);

        var tree = new BDictionary();
        var pieceLayers = new BDictionary();
        for (var i = 0; i < files.Count; i++)
        {
            var file = files[i];
            var entry = new BDictionary { ["length"] = new BInteger(file.Length) };
            if (file.Length > 0)
            {
                var root = file.Length > pieceLength ? MerkleTree.RootFromPieceLayer(layers[i], pieceLength, file.Length) : layers[i];
                entry["pieces root"] = new BString(root);
                if (file.Length > pieceLength)
                    pieceLayers.Set(new BString(root), new BString(layers[i]));
            }
            AddToTree(tree, file.PathSegments, entry);
        }
        var info = new BDictionary
        {
            ["name"] = new BString(plan.Name),
            ["piece length"] = new BInteger(pieceLength),
            ["meta version"] = new BInteger(2),
            ["file tree"] = tree,
        };
        if (hybrid)
        {
            info["pieces"] = new BString(sha1Pieces);
            if (plan.IsMultiFile)
                info["files"] = new BList(V1FilesWithPadding(files, pieceLength));
            else
                info["length"] = new BInteger(files[0].Length);
        }
        return EncodeTop(info, options, pieceLayers);
    }

    private static void AddToTree(BDictionary tree, IReadOnlyList<string> path, BDictionary entry)
    {
        var node = tree;
        foreach (var segment in path)
        {
            if (node[segment] is not BDictionary child)
            {
                child = new BDictionary();
                node[segment] = child;
            }
            node = child;
        }
        node[""] = entry;
    }

    /// <summary>The v1 'files' of a hybrid: each file followed by a '.pad' file up to the next piece boundary (libtorrent pads the last one too).</summary>
    private static IEnumerable<BValue> V1FilesWithPadding(List<PlannedFile> files, int pieceLength)
    {
        foreach (var file in files)
        {
            yield return new BDictionary
            {
                ["length"] = new BInteger(file.Length),
                ["path"] = new BList(file.PathSegments.Select(s => (BValue)new BString(s))),
            };
            var pad = TorrentParser.PadLength(file.Length, pieceLength);
            if (pad > 0)
            {
                yield return new BDictionary
                {
                    ["attr"] = new BString("p"),
                    ["length"] = new BInteger(pad),
                    ["path"] = new BList([new BString(".pad"), new BString(pad.ToString(CultureInfo.InvariantCulture))]),
                };
            }
        }
    }

    /// <summary>The file tree's order: path components compared as UTF-8 bytes, depth first.</summary>
    private sealed class PathOrder : IComparer<IReadOnlyList<string>>
    {
        public static PathOrder Instance { get; } = new();

        public int Compare(IReadOnlyList<string>? x, IReadOnlyList<string>? y)
        {
            for (var i = 0; i < Math.Min(x!.Count, y!.Count); i++)
            {
                var order = Encoding.UTF8.GetBytes(x[i]).AsSpan().SequenceCompareTo(Encoding.UTF8.GetBytes(y[i]));
                if (order != 0)
                    return order;
            }
            return x.Count.CompareTo(y.Count);
        }
    }
}
