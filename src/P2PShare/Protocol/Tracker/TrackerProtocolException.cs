namespace P2PShare.Protocol.Tracker;

/// <summary>The tracker's answer is not a valid response (garbage, HTML, truncated, wrong sizes).</summary>
internal sealed class TrackerProtocolException(string message, Exception? inner = null) : TrackerException(message, inner);
