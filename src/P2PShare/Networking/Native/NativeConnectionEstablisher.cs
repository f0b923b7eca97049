using System.Buffers;
using System.IO.Pipelines;
using System.Net;
using System.Net.Security;
using Microsoft.Extensions.Logging;
using P2PShare.Protocol.Native;

namespace P2PShare.Networking.Native;

/// <summary>
/// Turns a fresh TCP stream into an established connection: handshakes (the dialler speaks first),
/// then TLS when both handshakes ask for it, then the shared-secret proof when this node has a secret.
/// </summary>
internal static class NativeConnectionEstablisher
{
    public static Task<NativeConnection> EstablishAsync(
        Stream network,
        IPEndPoint remote,
        bool dialled,
        NativeHandshake ownHandshake,
        NativeSecurity security,
        NativeCodecLimits limits,
        TimeSpan timeout,
        ILogger logger,
        CancellationToken cancellationToken) =>
        EstablishAsync(network, remote, dialled, (_, _) => ValueTask.FromResult<NativeHandshake?>(ownHandshake), security, limits, timeout, logger, cancellationToken);

    /// <summary>
    /// As above, but the handshake we send may depend on theirs (an accepting side reads first): <paramref name="answer"/>
    /// gets their handshake (or, when we dial, null) and returns ours, or null to refuse the peer
    /// (<see cref="NativeProtocolException"/>).
    /// </summary>
    public static async Task<NativeConnection> EstablishAsync(
        Stream network,
        IPEndPoint remote,
        bool dialled,
        Func<NativeHandshake?, CancellationToken, ValueTask<NativeHandshake?>> answer,
        NativeSecurity security,
        NativeCodecLimits limits,
        TimeSpan timeout,
        ILogger logger,
        CancellationToken cancellationToken)
    {
        NativeHandshake ownHandshake = null!;
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        deadline.CancelAfter(timeout);
        var token = deadline.Token;
        var reader = PipeReader.Create(network, new StreamPipeReaderOptions(leaveOpen: true));
        // In a private swarm nothing about the file is said before the peer has proved the secret.
        NativeHandshake Opening() => security.Secret is null
            ? ownHandshake
            : ownHandshake with { FileName = null, FileSize = null, FileHash = null, PieceHashes = null };
        try
        {
            NativeHandshake theirs;
            if (dialled)
            {
                ownHandshake = await answer(null, token).ConfigureAwait(false) ?? throw new NativeProtocolException("no handshake to send");
                await WriteLineAsync(network, Opening(), token).ConfigureAwait(false);
                theirs = await ReadFirstAsync<NativeHandshake>(reader, limits, token).ConfigureAwait(false);
            }
            else
            {
                theirs = await ReadFirstAsync<NativeHandshake>(reader, limits, token).ConfigureAwait(false);
                ownHandshake = await answer(theirs, token).ConfigureAwait(false) ?? throw new NativeProtocolException($"refused peer {theirs.Id}: it shares no file of ours");
                await WriteLineAsync(network, Opening(), token).ConfigureAwait(false);
            }

            Stream transport = network;
            if (security.UseTls && theirs.Tls)
            {
                // Both sides wait for TLS before sending anything else, so nothing may be buffered here.
                if (reader.TryRead(out var leftover))
                {
                    var extra = leftover.Buffer.Length;
                    reader.AdvanceTo(leftover.Buffer.Start);
                    if (extra > 0)
                        throw new NativeProtocolException("data after the handshake where TLS was expected");
                }
                await reader.CompleteAsync().ConfigureAwait(false);
                var ssl = new SslStream(network, leaveInnerStreamOpen: false);
                if (dialled)
                {
                    await ssl.AuthenticateAsClientAsync(new SslClientAuthenticationOptions
                    {
                        TargetHost = "p2pshare-native",
                        // Self-signed by design; the shared secret is what authenticates a private swarm.
                        RemoteCertificateValidationCallback = static (_, _, _, _) => true,
                    }, token).ConfigureAwait(false);
                }
                else
                {
                    await ssl.AuthenticateAsServerAsync(new SslServerAuthenticationOptions { ServerCertificate = security.Certificate }, token).ConfigureAwait(false);
                }
                transport = ssl;
                reader = PipeReader.Create(ssl, new StreamPipeReaderOptions(leaveOpen: true));
            }

            if (security.Secret is { } secret)
            {
                if (theirs.AuthNonce is null || ownHandshake.AuthNonce is null)
                    throw new NativeProtocolException("the peer does not take part in the shared-secret check");
                await WriteLineAsync(transport, new NativeAuth(NativeSecretProof.Compute(secret, theirs.AuthNonce, ownHandshake.Id)), token).ConfigureAwait(false);
                var auth = await ReadFirstAsync<NativeAuth>(reader, limits, token).ConfigureAwait(false);
                if (!NativeSecretProof.Verify(secret, ownHandshake.AuthNonce, theirs.Id, auth.Proof))
                    throw new NativeProtocolException("the peer does not know the shared secret");
                // Now the full handshakes, with the file description.
                await WriteLineAsync(transport, ownHandshake, token).ConfigureAwait(false);
                var full = await ReadFirstAsync<NativeHandshake>(reader, limits, token).ConfigureAwait(false);
                if (full.Id != theirs.Id)
                    throw new NativeProtocolException("the peer changed its id after the secret check");
                theirs = full;
            }
            return new NativeConnection(transport, reader, remote, dialled, theirs, limits, logger);
        }
        catch
        {
            await reader.CompleteAsync().ConfigureAwait(false);
            throw;
        }
    }

    /// <summary>Reads lines until a message of type <typeparamref name="T"/>; anything else before it is skipped.</summary>
    private static async Task<T> ReadFirstAsync<T>(PipeReader reader, NativeCodecLimits limits, CancellationToken cancellationToken)
        where T : NativeMessage
    {
        var framer = new NativeLineFramer(limits.MaxLineLength);
        while (true)
        {
            var result = await reader.ReadAsync(cancellationToken).ConfigureAwait(false);
            var buffer = result.Buffer;
            while (true)
            {
                var status = framer.TryReadLine(ref buffer, out var line);
                if (status == NativeLineStatus.TooLong)
                    throw new NativeProtocolException($"line longer than {limits.MaxLineLength} bytes");
                if (status == NativeLineStatus.NeedMoreData)
                    break;
                var outcome = NativeMessageReader.TryParse(line, limits, out var message, out var error);
                if (outcome == NativeParseOutcome.Invalid && message is null && LooksLike<T>(line))
                    throw new NativeProtocolException($"unacceptable {typeof(T).Name}: {error}");
                if (message is T wanted)
                {
                    reader.AdvanceTo(buffer.Start);
                    return wanted;
                }
                (message as IDisposable)?.Dispose();
            }
            reader.AdvanceTo(buffer.Start, buffer.End);
            if (result.IsCompleted)
                throw new NativeProtocolException($"connection closed before a {typeof(T).Name}");
        }
    }

    /// <summary>A malformed handshake (for example an absurd pieceSize) ends the connection at once instead of at the timeout.</summary>
    private static bool LooksLike<T>(ReadOnlySequence<byte> line)
    {
        var type = typeof(T) == typeof(NativeHandshake) ? "\"handshake\""u8 : "\"auth\""u8;
        var reader = new SequenceReader<byte>(line);
        return reader.TryReadTo(out ReadOnlySequence<byte> _, type, advancePastDelimiter: false);
    }

    private static async Task WriteLineAsync(Stream stream, NativeMessage message, CancellationToken cancellationToken)
    {
        var buffer = new ArrayBufferWriter<byte>(256);
        using (var writer = new NativeMessageWriter())
            writer.Write(buffer, message);
        await stream.WriteAsync(buffer.WrittenMemory, cancellationToken).ConfigureAwait(false);
        await stream.FlushAsync(cancellationToken).ConfigureAwait(false);
    }
}
