using System.Globalization;
using System.Text.Json;
using System.Text.RegularExpressions;

namespace P2PShare.Tests.Support;

/// <summary>
/// One wire message that lt_peer.py reported from libtorrent's peer log (--log-peer-messages): sent ("out") or
/// received ("in"), its type as libtorrent names it (REJECT_PIECE, REQUEST, HAVE_ALL...), libtorrent's rendering of
/// its fields, the remote end, and when (Unix seconds, the script's clock).
/// </summary>
public sealed partial record LibtorrentPeerMessage(string Direction, string Type, string Detail, string Ip, int Port, double Time)
{
    public bool IsOutgoing => Direction == "out";

    /// <summary>
    /// For REQUEST, PIECE, REJECT_PIECE...: the block's piece index and offset. libtorrent writes REJECT_PIECE as
    /// "piece: 3 | s: 16384 | l: 16384" (decimal) but REQUEST and PIECE as "piece: 3 s: 4000 l: 4000" (offset and
    /// length in hex).
    /// </summary>
    public (int Piece, int Begin)? Block =>
        BlockPattern().Match(Detail) is { Success: true } m
            ? (int.Parse(m.Groups[1].Value, CultureInfo.InvariantCulture),
                Detail.Contains('|', StringComparison.Ordinal)
                    ? int.Parse(m.Groups[2].Value, CultureInfo.InvariantCulture)
                    : int.Parse(m.Groups[2].Value, NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture))
            : null;

    public static LibtorrentPeerMessage From(JsonElement json) => new(
        json.GetProperty("direction").GetString() ?? "",
        json.GetProperty("type").GetString() ?? "",
        json.TryGetProperty("detail", out var d) ? d.GetString() ?? "" : "",
        json.GetProperty("ip").GetString() ?? "",
        json.GetProperty("port").GetInt32(),
        json.GetProperty("time").GetDouble());

    [GeneratedRegex(@"piece: (\d+)\s*\|?\s*s: ([0-9a-fA-F]+)")]
    private static partial Regex BlockPattern();
}
