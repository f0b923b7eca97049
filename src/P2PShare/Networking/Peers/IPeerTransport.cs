using System.Net;

namespace P2PShare.Networking.Peers;

/// <summary>
/// How a byte stream to a peer is opened: TCP today, uTP and MSE-wrapped streams next. Everything above works on
/// the returned duplex <see cref="Stream"/>, so the engine treats every transport alike.
/// </summary>
public interface IPeerTransport
{
    /// <summary>Short name shown per peer ("tcp", "utp").</summary>
    string Name { get; }

    ValueTask<Stream> ConnectAsync(IPEndPoint endPoint, CancellationToken cancellationToken);
}
