using P2PShare.Metainfo;

namespace P2PShare.Networking.Encryption;

/// <summary>
/// What the engine calls: the dialler's <see cref="ConnectAsync"/> and the listener's <see cref="AcceptAsync"/>
/// apply an <see cref="EncryptionPolicy"/> on top of <see cref="MseHandshake"/>. Both return the stream on which
/// the BitTorrent handshake continues.
/// </summary>
internal static class PeerEncryption
{
    /// <summary>
    /// Opens an outgoing connection with <paramref name="connect"/> and sends <paramref name="bitTorrentHandshake"/>
    /// (our 68-byte handshake) on it: under <see cref="EncryptionPolicy.Disable"/> in the clear; otherwise inside
    /// an MSE handshake (as IA) offering RC4 only under Require, RC4 or plaintext under Prefer. With <see cref="EncryptionPolicy.Prefer"/>, when the MSE
    /// handshake fails (the peer closes, resets, times out or answers nonsense), the connection is closed and a
    /// new one opened with <paramref name="connect"/> for plain BitTorrent. The caller then reads the peer's
    /// handshake from the result's stream. Throws the connect error, or <see cref="MseHandshakeException"/> when
    /// MSE is required and fails.
    /// </summary>
    public static async Task<MseResult> ConnectAsync(Func<CancellationToken, Task<Stream>> connect, InfoHash infoHash, EncryptionPolicy policy,
        ReadOnlyMemory<byte> bitTorrentHandshake, MseOptions? options = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(connect);
        if (policy == EncryptionPolicy.Disable)
            return await ConnectPlainAsync(connect, infoHash, bitTorrentHandshake, cancellationToken).ConfigureAwait(false);

        var stream = await connect(cancellationToken).ConfigureAwait(false);
        try
        {
            // Prefer offers plaintext beside RC4, as libtorrent does with its defaults: the handshake is always
            // obfuscated, and a peer that would rather not pay for RC4 on the payload (libtorrent's default) picks
            // plaintext, while one that insists (Transmission's "prefer", any "require") picks RC4.
            var provide = policy == EncryptionPolicy.Require ? EncryptionMethod.Rc4 : EncryptionMethod.Rc4 | EncryptionMethod.Plaintext;
            return await MseHandshake.InitiateAsync(stream, infoHash, provide, bitTorrentHandshake, options, cancellationToken).ConfigureAwait(false);
        }
        catch (IOException) when (policy == EncryptionPolicy.Prefer && !cancellationToken.IsCancellationRequested)
        {
            await stream.DisposeAsync().ConfigureAwait(false);
            return await ConnectPlainAsync(connect, infoHash, bitTorrentHandshake, cancellationToken).ConfigureAwait(false);
        }
        catch
        {
            await stream.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    /// <summary>
    /// Decides what an accepted connection speaks and completes MSE when it is that: a plain BitTorrent
    /// handshake is refused under <see cref="EncryptionPolicy.Require"/>, MSE under <see cref="EncryptionPolicy.Disable"/>
    /// (both with <see cref="MseHandshakeException"/>). MSE selects plaintext under Prefer when the peer offers it
    /// (libtorrent's default), else RC4 when offered, else (not under Require) plaintext. <paramref name="infoHashes"/> lists the torrents an initiator may ask for. Read the
    /// peer's BitTorrent handshake from <see cref="MseResult.StreamWithInitialPayload"/>. The caller owns (and on
    /// failure disposes) <paramref name="stream"/>.
    /// </summary>
    public static async Task<MseResult> AcceptAsync(Stream stream, EncryptionPolicy policy, Func<IEnumerable<InfoHash>> infoHashes,
        MseOptions? options = null, CancellationToken cancellationToken = default)
    {
        options ??= MseOptions.Default;
        bool isPlain;
        Stream replay;
        using (var timeout = new CancellationTokenSource(options.StepTimeout, options.TimeProvider))
        using (var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, timeout.Token))
        {
            try
            {
                (isPlain, replay) = await IncomingConnectionSniffer.SniffAsync(stream, linked.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (timeout.IsCancellationRequested && !cancellationToken.IsCancellationRequested)
            {
                throw new MseHandshakeException("timed out waiting for the peer's first bytes");
            }
            catch (EndOfStreamException e)
            {
                throw new MseHandshakeException(e.Message, e);
            }
        }
        if (isPlain)
        {
            return policy == EncryptionPolicy.Require
                ? throw new MseHandshakeException("plain BitTorrent handshake refused: encryption is required")
                : new MseResult(replay, EncryptionMethod.None, null, ReadOnlyMemory<byte>.Empty);
        }
        if (policy == EncryptionPolicy.Disable)
            throw new MseHandshakeException("not a BitTorrent handshake (an encrypted one?) and encryption is disabled");
        var allowed = policy == EncryptionPolicy.Require ? EncryptionMethod.Rc4 : EncryptionMethod.Rc4 | EncryptionMethod.Plaintext;
        // Under Prefer, an initiator offering both gets plaintext, as a default libtorrent answers (our own Prefer
        // initiator offers both): the handshake is obfuscated either way, and RC4 on both ends of a fast link would
        // bound the transfer by one core's keystream speed on each side.
        return await MseHandshake.RespondAsync(replay, infoHashes, allowed, options, cancellationToken,
            preferPlaintext: policy == EncryptionPolicy.Prefer).ConfigureAwait(false);
    }

    private static async Task<MseResult> ConnectPlainAsync(Func<CancellationToken, Task<Stream>> connect, InfoHash infoHash, ReadOnlyMemory<byte> bitTorrentHandshake,
        CancellationToken cancellationToken)
    {
        var stream = await connect(cancellationToken).ConfigureAwait(false);
        try
        {
            await stream.WriteAsync(bitTorrentHandshake, cancellationToken).ConfigureAwait(false);
            await stream.FlushAsync(cancellationToken).ConfigureAwait(false);
        }
        catch
        {
            await stream.DisposeAsync().ConfigureAwait(false);
            throw;
        }
        return new MseResult(stream, EncryptionMethod.None, infoHash, ReadOnlyMemory<byte>.Empty);
    }
}
