using P2PShare.Bencode;

namespace P2PShare.Metainfo;

/// <summary>
/// Bounds on what a .torrent file (or fetched metadata) may hold, so a hostile one is refused with a clear error
/// before it costs much memory or time. Real torrents stay far below each: the largest public ones are a few MB with
/// tens of thousands of files. Compare libtorrent's load_torrent_limits (10 MB, 3 million tokens, depth 100).
/// </summary>
internal static class MetainfoLimits
{
    /// <summary>Largest .torrent file read: a full BEP 9 metadata (16 MiB) plus room for trackers.</summary>
    public const long MaxTorrentFileSize = 20L * 1024 * 1024;

    /// <summary>Most bencode values in a torrent (each file costs about six, each value about 160 bytes while decoding).</summary>
    public const int MaxTokens = 1_500_000;

    /// <summary>Deepest nesting of lists and dictionaries (a real torrent needs 5).</summary>
    public const int MaxDepth = 64;

    /// <summary>Most files (padding included).</summary>
    public const int MaxFiles = 200_000;

    /// <summary>Most components in one file's path.</summary>
    public const int MaxPathDepth = 64;

    /// <summary>Longest path of one file below the torrent's root, in UTF-16 characters (PATH_MAX is 4096 bytes).</summary>
    public const int MaxPathLength = 4000;

    /// <summary>Longest comment or "created by" kept (longer ones are refused).</summary>
    public const int MaxTextLength = 64 * 1024;

    /// <summary>Most tracker and web-seed URLs together; longer lists are refused.</summary>
    public const int MaxUrls = 1000;

    /// <summary>Longest tracker or web-seed URL.</summary>
    public const int MaxUrlLength = 4096;

    /// <summary>The decoder options that apply these bounds while decoding.</summary>
    public static BencodeOptions DecodeOptions { get; } = new() { MaxTokens = MaxTokens, MaxDepth = MaxDepth };

    /// <summary><see cref="DecodeOptions"/> for a whole .torrent: its 'files' list is checked but not built (TorrentParser reads it in place).</summary>
    public static BencodeOptions TorrentDecodeOptions { get; } = DecodeOptions with { DeferredPath = ["info", "files"] };

    /// <summary>The same for a bare info dictionary (BEP 9 metadata).</summary>
    public static BencodeOptions InfoDecodeOptions { get; } = DecodeOptions with { DeferredPath = ["files"] };
}
