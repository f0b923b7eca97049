using System.Net;

namespace P2PShare.Networking.Peers;

/// <summary>
/// How a byte stream to a peer is opened: TCP today, uTP and MSE-wrapped streams next. Everything above works on
/// the returned duplex <see cref="Stream"/>, so the engine treats every transport alike.
/// </summary>
internal interface IPeerTransport
{
    /// <summary>Short name shown per peer ("tcp", "utp").</summary>
    string Name { get; }

    /// <summary>The name of the transport a stream from <see cref="ConnectAsync"/> actually uses (a transport that tries several).</summary>
    string NameOf(Stream stream) => Name;

    ValueTask<Stream> ConnectAsync(IPEndPoint endPoint, CancellationToken cancellationToken);

    /// <summary>
    /// Told after the BitTorrent handshake over <paramref name="stream"/> (one that <see cref="ConnectAsync"/> opened,
    /// before any encryption wrapped it) succeeded or failed: a transport that chooses among several learns which
    /// one really works for the address, since a port that accepts a connection may still refuse the protocol.
    /// Returns true when, after a failure, the next dial will go another way (worth one more attempt at once).
    /// </summary>
    bool OnHandshakeResult(IPEndPoint endPoint, Stream stream, bool succeeded) => false;
}
