using P2PShare.Protocol.Tracker;

namespace P2PShare.Networking.Trackers;

/// <summary>No usable answer came back (refused, reset, unresolvable, silent, HTTP 5xx): worth retrying later.</summary>
internal sealed class TrackerUnreachableException(string message, Exception? inner = null) : TrackerException(message, inner);
