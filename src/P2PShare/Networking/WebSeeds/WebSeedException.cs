namespace P2PShare.Networking.WebSeeds;

/// <summary>A web seed answered wrongly: an HTTP error, a missing range, too few or too many bytes.</summary>
internal sealed class WebSeedException(string message, Exception? inner = null) : Exception(message, inner);
