namespace P2PShare.Networking.Encryption;

/// <summary>
/// Tells an incoming plain BitTorrent handshake (byte 19, then "BitTorrent protocol") from an MSE one (a
/// Diffie-Hellman public key: random-looking bytes) by peeking at most 20 bytes, and returns a stream that
/// replays what was peeked, so nothing is lost for whichever handshake follows.
/// </summary>
internal static class IncomingConnectionSniffer
{
    private const int ProtocolHeaderLength = 20;

    private static ReadOnlySpan<byte> ProtocolHeader => "\u0013BitTorrent protocol"u8;

    /// <summary>
    /// Reads until the first bytes differ from the plain header (usually the first byte) or all 20 match.
    /// A random MSE key starts with the plain header with probability 2^-160.
    /// </summary>
    public static async Task<(bool IsPlainBitTorrent, Stream Stream)> SniffAsync(Stream stream, CancellationToken cancellationToken = default)
    {
        var peeked = new byte[ProtocolHeaderLength];
        var count = 0;
        while (count < ProtocolHeaderLength)
        {
            var n = await stream.ReadAsync(peeked.AsMemory(count), cancellationToken).ConfigureAwait(false);
            if (n == 0)
                throw new EndOfStreamException($"the peer closed the connection after {count} bytes");
            count += n;
            if (!ProtocolHeader[..count].SequenceEqual(peeked.AsSpan(0, count)))
                return (false, new PrefixedStream(stream, peeked.AsMemory(0, count)));
        }
        return (true, new PrefixedStream(stream, peeked));
    }
}
