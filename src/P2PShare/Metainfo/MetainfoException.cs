namespace P2PShare.Metainfo;

/// <summary>A torrent or magnet link that cannot be used, with the reason.</summary>
public sealed class MetainfoException(string message, Exception? inner = null) : FormatException(message, inner);
