using System.Security.Cryptography;
using P2PShare.Bencode;

namespace P2PShare.Metainfo;

/// <summary>Reads .torrent files, refusing anything that is malformed or unsafe to map onto disk.</summary>
internal static partial class TorrentParser
{
    /// <summary>Real torrents are far smaller; a larger file is refused before it is read.</summary>
    public const long MaxTorrentFileSize = MetainfoLimits.MaxTorrentFileSize;

    public static async Task<Torrent> LoadAsync(string path, CancellationToken cancellationToken)
    {
        var info = new FileInfo(path);
        if (!info.Exists)
            throw new FileNotFoundException($"torrent file not found: {path}", path);
        if (info.Length > MaxTorrentFileSize)
            throw new MetainfoException($"{path}: {info.Length} bytes is too large for a torrent file (the limit is {MaxTorrentFileSize / (1024 * 1024)} MiB)");
        var bytes = await BoundedFile.ReadAsync(path, MaxTorrentFileSize, cancellationToken).ConfigureAwait(false)
            ?? throw new MetainfoException($"{path}: more than {MaxTorrentFileSize / (1024 * 1024)} MiB can be read from it: not a torrent file");
        try
        {
            return Parse(bytes);
        }
        catch (MetainfoException error)
        {
            throw new MetainfoException($"{path}: {error.Message}", error);
        }
    }

    public static Torrent Parse(ReadOnlyMemory<byte> bytes)
    {
        BValue root;
        int trailing;
        try
        {
            if (bytes.Length > MaxTorrentFileSize)
                throw new MetainfoException($"{bytes.Length} bytes is too large for a torrent file (the limit is {MaxTorrentFileSize / (1024 * 1024)} MiB)");
            root = BencodeDecoder.DecodePrefix(bytes, out var consumed, MetainfoLimits.TorrentDecodeOptions);
            trailing = bytes.Length - consumed;
            // libtorrent, transmission-show and aria2 accept whitespace after the dictionary (an editor's newline);
            // anything else after it is still refused.
            if (trailing > 0 && !IsWhitespace(bytes.Span[consumed..]))
                throw new BencodeException($"{trailing} trailing byte(s) after the value", consumed);
        }
        catch (BencodeException error)
        {
            throw new MetainfoException($"not a torrent file ({error.Message})", error);
        }
        if (root is not BDictionary top)
            throw new MetainfoException("not a torrent file (the top level is not a dictionary)");
        if (top["info"] is not BDictionary info)
            throw new MetainfoException("torrent has no 'info' dictionary");

        var torrent = ParseInfo(info);
        return new Torrent(torrent.InfoHash, torrent.InfoBytes, torrent.Name, torrent.PieceLength, torrent.PieceHashes, torrent.Files, torrent.IsMultiFile)
        {
            V2 = torrent.V2 is null ? null : ReadPieceLayers(torrent, top),
            AnnounceTiers = ReadAnnounceTiers(top),
            WebSeeds = ReadWebSeeds(top),
            IsPrivate = info.Get<BInteger>("private")?.Value == 1,
            CreationDate = ReadCreationDate(top),
            Comment = ReadLimitedText(top, "comment"),
            CreatedBy = ReadLimitedText(top, "created by"),
            Warnings = trailing > 0 ? [$"{trailing} byte(s) of whitespace after the torrent's dictionary (ignored)"] : [],
        };
    }

    private static bool IsWhitespace(ReadOnlySpan<byte> bytes)
    {
        foreach (var b in bytes)
            if (b is not ((byte)' ' or (byte)'\t' or (byte)'\r' or (byte)'\n'))
                return false;
        return true;
    }

    /// <summary>
    /// Builds the torrent of a magnet link from the info dictionary fetched from peers (BEP 9), which the
    /// caller has checked against the link's info-hash: trackers (each its own tier) and web seeds come from the link.
    /// </summary>
    public static Torrent FromMetadata(ReadOnlyMemory<byte> infoBytes, MagnetLink magnet)
    {
        BValue value;
        try
        {
            value = BencodeDecoder.Decode(infoBytes, MetainfoLimits.InfoDecodeOptions);
        }
        catch (BencodeException error)
        {
            throw new MetainfoException($"metadata is not bencode ({error.Message})", error);
        }
        if (value is not BDictionary info)
            throw new MetainfoException("metadata is not a dictionary");
        var torrent = ParseInfo(info);
        var v2Match = magnet.InfoHashV2 is not null && magnet.InfoHashV2.Equals(torrent.V2?.InfoHash);
        if (!torrent.InfoHash.Equals(magnet.InfoHash) && !v2Match)
            throw new MetainfoException($"metadata has info-hash {torrent.InfoHash}, the magnet link {magnet.InfoHash}");
        return new Torrent(torrent.InfoHash, torrent.InfoBytes, torrent.Name, torrent.PieceLength, torrent.PieceHashes, torrent.Files, torrent.IsMultiFile)
        {
            V2 = torrent.V2,
            AnnounceTiers = magnet.Trackers.Select(url => (IReadOnlyList<string>)[url]).ToList(),
            WebSeeds = magnet.WebSeeds,
            IsPrivate = info.Get<BInteger>("private")?.Value == 1,
        };
    }

    /// <summary>Parses a bare info dictionary (as received by metadata exchange) into a torrent without trackers.</summary>
    public static Torrent ParseInfo(BDictionary info)
    {
        var isV2 = IsV2(info);
        if (isV2 && !info.ContainsKey("pieces"))
            return ParseV2Only(info);

        var name = ReadName(info);
        var pieceLengthValue = info.Get<BInteger>("piece length")?.Value
            ?? throw new MetainfoException("info has no 'piece length'");
        if (pieceLengthValue <= 0 || pieceLengthValue > 512L * 1024 * 1024)
            throw new MetainfoException($"piece length {pieceLengthValue} is out of range");
        var pieceLength = (int)pieceLengthValue;

        var pieces = info.Get<BString>("pieces") ?? throw new MetainfoException("info has no 'pieces' string");
        if (pieces.Bytes.Length % Torrent.PieceHashLength != 0)
            throw new MetainfoException($"'pieces' is {pieces.Bytes.Length} bytes, not a multiple of 20");

        var isMultiFile = info.ContainsKey("files");
        var files = isMultiFile ? ReadFiles(info) : [ReadSingleFile(info, name)];
        var total = files.Count == 0 ? 0 : files[^1].EndOffset;
        if (total == 0)
            throw new MetainfoException("torrent has no data (total length is 0)");
        var expectedPieces = (total + pieceLength - 1) / pieceLength;
        var pieceCount = pieces.Bytes.Length / Torrent.PieceHashLength;
        if (pieceCount != expectedPieces)
            throw new MetainfoException($"torrent has {pieceCount} piece hashes but its {total} bytes need {expectedPieces}");

        var infoHash = new InfoHash(SHA1.HashData(info.Raw.Span.IsEmpty ? BencodeEncoder.Encode(info) : info.Raw.Span));
        var infoBytes = info.Raw.IsEmpty ? BencodeEncoder.Encode(info) : info.Raw;
        var v1 = new Torrent(infoHash, infoBytes, name, pieceLength, pieces.Bytes, files, isMultiFile);
        return isV2 ? AttachHybrid(v1, info) : v1;
    }

    private static string ReadName(BDictionary info)
    {
        var name = info.Get<BString>("name.utf-8") ?? info.Get<BString>("name")
            ?? throw new MetainfoException("info has no 'name'");
        return PathSanitizer.CheckComponent(name, "name");
    }

    private static TorrentFile ReadSingleFile(BDictionary info, string name)
    {
        var length = info.Get<BInteger>("length")?.Value ?? throw new MetainfoException("single-file info has no 'length'");
        if (length < 0)
            throw new MetainfoException($"file length {length} is negative");
        return new TorrentFile([name], length, 0);
    }

    private static List<TorrentFile> ReadFiles(BDictionary info)
    {
        // The decoder checks 'files' but builds nothing of it (TorrentDecodeOptions): it is read here in place, straight
        // into TorrentFile records. A torrent of 100,000 files must start within 2 s (issue #20); as a tree its list
        // was 700,000 objects. A tree built elsewhere (ParseInfo of a constructed dictionary) is read the same way.
        var value = info["files"];
        var raw = value switch
        {
            BDeferred deferred => deferred.Raw,
            BList list => list.Raw.IsEmpty ? BencodeEncoder.Encode(list) : list.Raw,
            _ => throw new MetainfoException("'files' is not a list"),
        };
        try
        {
            return ReadFileList(raw.Span);
        }
        catch (BencodeException error)
        {
            throw new MetainfoException($"'files' is not valid bencode ({error.Message})", error);
        }
    }

    private static List<TorrentFile> ReadFileList(ReadOnlySpan<byte> raw)
    {
        var reader = new BencodeSpanReader(raw);
        if (reader.Peek() != 'l')
            throw new MetainfoException("'files' is not a list");
        var count = CountItems(raw);
        if (count > MetainfoLimits.MaxFiles)
            throw new MetainfoException($"torrent lists {count} files; the limit is {MetainfoLimits.MaxFiles}");
        var files = new List<TorrentFile>(count);
        var seenPaths = new HashSet<string>(count, StringComparer.Ordinal);
        var directories = new HashSet<string>(StringComparer.Ordinal);
        var directoryLookup = directories.GetAlternateLookup<ReadOnlySpan<char>>();
        string[]? previous = null;
        long offset = 0;
        reader.Enter();
        while (!reader.TryReadEnd())
        {
            var index = files.Count;
            if (reader.Peek() != 'd')
                throw new MetainfoException($"entry {index} of 'files' is not a dictionary");
            var entry = FileEntry.Read(ref reader);
            var length = entry.Length ?? throw new MetainfoException($"file {index} has no 'length'");
            if (length < 0)
                throw new MetainfoException($"file {index} has a negative length {length}");
            var pathStart = entry.PathUtf8 >= 0 ? entry.PathUtf8 : entry.Path;
            if (pathStart < 0)
                throw new MetainfoException($"file {index} has no 'path' list");
            var segments = PathSanitizer.ReadPath(raw[pathStart..], index, previous);
            var file = new TorrentFile(segments, length, offset, entry.IsPadding);
            var path = file.DisplayPath;
            if (!seenPaths.Add(path))
                throw new MetainfoException($"file path '{path}' appears twice");
            // Each directory above the file is a prefix of its path ending before a '/' (components hold none).
            for (var end = path.IndexOf('/'); end >= 0; end = path.IndexOf('/', end + 1))
                if (!directoryLookup.Contains(path.AsSpan(0, end)))
                    directories.Add(path[..end]);
            if (offset > long.MaxValue - length)
                throw new MetainfoException("total length overflows");
            files.Add(file);
            previous = segments;
            offset += length;
        }
        foreach (var file in files)
            if (directories.Contains(file.DisplayPath))
                throw new MetainfoException($"'{file.DisplayPath}' is both a file and a directory");
        return files;
    }

    private static int CountItems(ReadOnlySpan<byte> list)
    {
        var reader = new BencodeSpanReader(list);
        reader.Enter();
        var count = 0;
        while (!reader.TryReadEnd())
        {
            reader.Skip();
            count++;
        }
        return count;
    }

    /// <summary>What a file entry of 'files' says; a key whose value has another type counts as absent, as in a tree lookup.</summary>
    private readonly record struct FileEntry(long? Length, int Path, int PathUtf8, bool IsPadding)
    {
        public static FileEntry Read(ref BencodeSpanReader reader)
        {
            long? length = null;
            int path = -1, pathUtf8 = -1;
            var padding = false;
            reader.Enter();
            while (!reader.TryReadEnd())
            {
                var key = reader.ReadString();
                var kind = reader.Peek();
                if (kind == 'i' && key.SequenceEqual("length"u8))
                {
                    length = reader.ReadInteger();
                    continue;
                }
                if (kind == 's' && key.SequenceEqual("attr"u8))
                {
                    // 'p' in the UTF-8 bytes is 'p' in the text: no multi-byte sequence holds an ASCII byte.
                    padding = reader.ReadString().Contains((byte)'p');
                    continue;
                }
                if (kind == 'l' && key.SequenceEqual("path"u8))
                    path = reader.Position;
                else if (kind == 'l' && key.SequenceEqual("path.utf-8"u8))
                    pathUtf8 = reader.Position;
                reader.Skip();
            }
            return new FileEntry(length, path, pathUtf8, padding);
        }
    }

    private static List<IReadOnlyList<string>> ReadAnnounceTiers(BDictionary top)
    {
        var tiers = new List<IReadOnlyList<string>>();
        var seen = new HashSet<string>(StringComparer.Ordinal);
        if (top["announce-list"] is BList announceList)
        {
            foreach (var tierValue in announceList)
            {
                if (tierValue is not BList tierList)
                    continue;
                var tier = tierList.OfType<BString>().Select(s => s.Text.Trim()).Where(u => u.Length > 0 && seen.Add(u)).ToList();
                if (tier.Count > 0)
                    tiers.Add(tier);
            }
        }
        // BEP 12: with an announce-list, 'announce' is ignored.
        if (tiers.Count == 0 && ReadText(top, "announce") is { Length: > 0 } announce)
            tiers.Add([announce.Trim()]);
        CheckUrls(tiers.SelectMany(t => t), "tracker");
        return tiers;
    }

    private static List<string> ReadWebSeeds(BDictionary top)
    {
        List<string> seeds = top["url-list"] switch
        {
            BString single when single.Bytes.Length > 0 => [single.Text],
            BList list => list.OfType<BString>().Select(s => s.Text).Where(s => s.Length > 0).ToList(),
            _ => [],
        };
        CheckUrls(seeds, "web seed");
        return seeds;
    }

    private static void CheckUrls(IEnumerable<string> urls, string what)
    {
        var count = 0;
        foreach (var url in urls)
        {
            if (++count > MetainfoLimits.MaxUrls)
                throw new MetainfoException($"torrent lists more than {MetainfoLimits.MaxUrls} {what} URLs");
            if (url.Length > MetainfoLimits.MaxUrlLength)
                throw new MetainfoException($"a {what} URL is {url.Length} characters long; the limit is {MetainfoLimits.MaxUrlLength}");
        }
    }

    private static string? ReadLimitedText(BDictionary dictionary, string key)
    {
        var value = dictionary.Get<BString>(key);
        if (value is null)
            return null;
        if (value.Bytes.Length > MetainfoLimits.MaxTextLength)
            throw new MetainfoException($"'{key}' is {value.Bytes.Length} bytes long; the limit is {MetainfoLimits.MaxTextLength}");
        return value.Text;
    }

    private static DateTimeOffset? ReadCreationDate(BDictionary top)
    {
        var seconds = top.Get<BInteger>("creation date")?.Value;
        if (seconds is null or < 0 or > 253402300799)
            return null;
        return DateTimeOffset.FromUnixTimeSeconds(seconds.Value);
    }

    private static string? ReadText(BDictionary dictionary, string key) => dictionary.Get<BString>(key)?.Text;
}
