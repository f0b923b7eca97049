using System.Buffers.Binary;
using System.Security.Cryptography;
using P2PShare.Metainfo;

namespace P2PShare.Networking.Encryption;

/// <summary>
/// The Message Stream Encryption handshake (Vuze/BitComet/libtorrent "PE"), both sides:
/// <code>
/// 1 A→B: Ya, PadA
/// 2 B→A: Yb, PadB
/// 3 A→B: HASH('req1', S), HASH('req2', SKEY) xor HASH('req3', S), ENCRYPT(VC, crypto_provide, len(PadC), PadC, len(IA)), ENCRYPT(IA)
/// 4 B→A: ENCRYPT(VC, crypto_select, len(PadD), PadD), then the payload stream
/// </code>
/// SKEY is the torrent's info-hash, S the Diffie-Hellman secret, HASH SHA-1, VC eight zero bytes, ENCRYPT RC4
/// keyed with HASH('keyA'|'keyB', S, SKEY) after 1,024 discarded bytes. Every step has a timeout, the scans
/// stop at the protocol's padding limit, and at most <see cref="MseReadBuffer.Capacity"/> bytes (plus an IA of
/// at most 64 KiB) are held.
/// </summary>
internal sealed class MseHandshake : IDisposable
{
    private const int HashLength = 20;
    private const int VcLength = 8;

    private readonly Stream _stream;
    private readonly MseOptions _options;
    private readonly MseReadBuffer _reader;
    private readonly CancellationToken _callerToken;
    private readonly CancellationTokenSource _deadline;
    private readonly CancellationTokenSource _overall;

    private MseHandshake(Stream stream, MseOptions options, CancellationToken cancellationToken)
    {
        if (options.PadLength is < 0 or > MseOptions.MaxPadLength)
            throw new ArgumentOutOfRangeException(nameof(options), $"PadLength must be 0..{MseOptions.MaxPadLength}");
        _stream = stream;
        _options = options;
        _reader = new MseReadBuffer(stream);
        _callerToken = cancellationToken;
        _deadline = new CancellationTokenSource(options.HandshakeTimeout, options.TimeProvider);
        _overall = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, _deadline.Token);
    }

    /// <summary>
    /// Side A (we dialled): runs the handshake for <paramref name="infoHash"/>, offering <paramref name="provide"/>
    /// and sending <paramref name="initialPayload"/> (normally our 68-byte BitTorrent handshake) as IA.
    /// Throws <see cref="MseHandshakeException"/> when the peer does not complete it (a peer that does not speak
    /// MSE usually closes the connection, which ends up here too).
    /// </summary>
    public static async Task<MseResult> InitiateAsync(Stream stream, InfoHash infoHash, EncryptionMethod provide, ReadOnlyMemory<byte> initialPayload,
        MseOptions? options = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(stream);
        ArgumentNullException.ThrowIfNull(infoHash);
        if ((provide & (EncryptionMethod.Rc4 | EncryptionMethod.Plaintext)) == 0 || (provide & ~(EncryptionMethod.Rc4 | EncryptionMethod.Plaintext)) != 0)
            throw new ArgumentOutOfRangeException(nameof(provide), "offer RC4, plaintext or both");
        if (initialPayload.Length > MseOptions.MaxInitialPayloadLength)
            throw new ArgumentOutOfRangeException(nameof(initialPayload), "IA is at most 65535 bytes");
        using var handshake = new MseHandshake(stream, options ?? MseOptions.Default, cancellationToken);
        return await handshake.RunTimedAsync(() => handshake.InitiateCoreAsync(infoHash, provide, initialPayload)).ConfigureAwait(false);
    }

    /// <summary>
    /// Side B (the peer dialled us; its first bytes were its public key): runs the handshake, finding the
    /// torrent among <paramref name="infoHashes"/> (asked once, after the key exchange: one listen port serves
    /// every torrent), and selects RC4 when both sides allow it, else plaintext if <paramref name="allowed"/>
    /// has it. The result carries the matched info-hash and the initiator's IA. With <paramref name="preferPlaintext"/>,
    /// plaintext is selected when the initiator offers both (libtorrent's default choice: the handshake stays obfuscated
    /// and the payload costs no RC4 on either side).
    /// </summary>
    public static async Task<MseResult> RespondAsync(Stream stream, Func<IEnumerable<InfoHash>> infoHashes, EncryptionMethod allowed,
        MseOptions? options = null, CancellationToken cancellationToken = default, bool preferPlaintext = false)
    {
        ArgumentNullException.ThrowIfNull(stream);
        ArgumentNullException.ThrowIfNull(infoHashes);
        if ((allowed & (EncryptionMethod.Rc4 | EncryptionMethod.Plaintext)) == 0)
            throw new ArgumentOutOfRangeException(nameof(allowed), "allow RC4, plaintext or both");
        using var handshake = new MseHandshake(stream, options ?? MseOptions.Default, cancellationToken);
        return await handshake.RunTimedAsync(() => handshake.RespondCoreAsync(infoHashes, allowed, preferPlaintext)).ConfigureAwait(false);
    }

    /// <summary>HASH('req2', SKEY): what an initiator for <paramref name="infoHash"/> reveals (xored with HASH('req3', S)).</summary>
    public static byte[] Req2Hash(InfoHash infoHash) => Hash("req2"u8, infoHash.Span, []);

    public void Dispose()
    {
        _reader.Dispose();
        _overall.Dispose();
        _deadline.Dispose();
    }

    private async Task<MseResult> RunTimedAsync(Func<Task<MseResult>> run)
    {
        try
        {
            return await run().ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (!_callerToken.IsCancellationRequested && _deadline.IsCancellationRequested)
        {
            throw new MseHandshakeException($"the handshake took longer than {_options.HandshakeTimeout.TotalSeconds:0.#} s");
        }
        catch (EndOfStreamException e)
        {
            throw new MseHandshakeException("the peer closed the connection during the handshake", e);
        }
    }

    private async Task<MseResult> InitiateCoreAsync(InfoHash infoHash, EncryptionMethod provide, ReadOnlyMemory<byte> initialPayload)
    {
        var keys = _options.KeyFactory();
        await SendKeyAndPadAsync(keys, "our public key").ConfigureAwait(false);

        await StepAsync("the peer's public key", t => _reader.FillAsync(DiffieHellman.KeyLength, "its public key", t)).ConfigureAwait(false);
        var secret = keys.ComputeSecret(_reader.Peek(DiffieHellman.KeyLength));
        _reader.Consume(DiffieHellman.KeyLength);

        var encryptor = Rc4.ForMse(Hash("keyA"u8, secret, infoHash.Span));
        var decryptor = Rc4.ForMse(Hash("keyB"u8, secret, infoHash.Span));

        // Step 3.
        var padC = NextPadLength();
        var message = new byte[2 * HashLength + VcLength + 4 + 2 + padC + 2 + initialPayload.Length];
        Hash("req1"u8, secret, []).CopyTo(message, 0);
        var req2 = Hash("req2"u8, infoHash.Span, []);
        var req3 = Hash("req3"u8, secret, []);
        for (var i = 0; i < HashLength; i++)
            message[HashLength + i] = (byte)(req2[i] ^ req3[i]);
        var body = message.AsSpan(2 * HashLength);
        BinaryPrimitives.WriteUInt32BigEndian(body[VcLength..], (uint)provide); // VC: the zeros before it
        BinaryPrimitives.WriteUInt16BigEndian(body[(VcLength + 4)..], (ushort)padC);
        BinaryPrimitives.WriteUInt16BigEndian(body[(VcLength + 6 + padC)..], (ushort)initialPayload.Length);
        initialPayload.Span.CopyTo(body[(VcLength + 8 + padC)..]);
        encryptor.Transform(body);
        await StepAsync("sending the crypto offer", t => _stream.WriteAsync(message, t)).ConfigureAwait(false);
        await StepAsync("sending the crypto offer", t => new ValueTask(_stream.FlushAsync(t))).ConfigureAwait(false);

        // Step 4: the peer's VC, encrypted, somewhere after at most 512 bytes of PadB.
        var vc = new byte[VcLength];
        decryptor.Transform(vc);
        await StepAsync("the peer's verification constant", t => _reader.SyncAsync(vc, MseOptions.MaxPadLength, "the peer's verification constant", t))
            .ConfigureAwait(false);
        await StepAsync("the peer's crypto selection", t => _reader.FillAsync(6, "its crypto selection", t)).ConfigureAwait(false);
        var selection = _reader.Peek(6);
        decryptor.Transform(selection);
        var selected = (EncryptionMethod)BinaryPrimitives.ReadUInt32BigEndian(selection);
        var padD = BinaryPrimitives.ReadUInt16BigEndian(selection[4..]);
        _reader.Consume(6);
        if (selected is not (EncryptionMethod.Rc4 or EncryptionMethod.Plaintext) || (selected & provide) == 0)
            throw new MseHandshakeException($"the peer selected crypto 0x{(uint)selected:x}, we offered 0x{(uint)provide:x}");
        if (padD > MseOptions.MaxPadLength)
            throw new MseHandshakeException($"the peer's PadD is {padD} bytes (at most {MseOptions.MaxPadLength})");
        await StepAsync("the peer's PadD", t => _reader.FillAsync(padD, "PadD", t)).ConfigureAwait(false);
        decryptor.Transform(_reader.Peek(padD));
        _reader.Consume(padD);

        return new MseResult(PayloadStream(selected, encryptor, decryptor), selected, infoHash, ReadOnlyMemory<byte>.Empty);
    }

    private async Task<MseResult> RespondCoreAsync(Func<IEnumerable<InfoHash>> infoHashes, EncryptionMethod allowed, bool preferPlaintext)
    {
        await StepAsync("the peer's public key", t => _reader.FillAsync(DiffieHellman.KeyLength, "its public key", t)).ConfigureAwait(false);
        var keys = _options.KeyFactory();
        var secret = keys.ComputeSecret(_reader.Peek(DiffieHellman.KeyLength));
        _reader.Consume(DiffieHellman.KeyLength);
        await SendKeyAndPadAsync(keys, "our public key").ConfigureAwait(false);

        // Step 3: HASH('req1', S) after at most 512 bytes of PadA.
        var req1 = Hash("req1"u8, secret, []);
        await StepAsync("the peer's req1 hash", t => _reader.SyncAsync(req1, MseOptions.MaxPadLength, "the req1 hash", t)).ConfigureAwait(false);
        await StepAsync("the peer's req2 hash", t => _reader.FillAsync(HashLength + VcLength + 6, "its req2 hash and crypto offer", t)).ConfigureAwait(false);
        var req3 = Hash("req3"u8, secret, []);
        Span<byte> req2 = stackalloc byte[HashLength];
        var received = _reader.Peek(HashLength);
        for (var i = 0; i < HashLength; i++)
            req2[i] = (byte)(received[i] ^ req3[i]);
        _reader.Consume(HashLength);
        var infoHash = FindInfoHash(infoHashes(), req2)
            ?? throw new MseHandshakeException("the peer asked for a torrent we do not have (no info-hash matches its req2 hash)");

        var encryptor = Rc4.ForMse(Hash("keyB"u8, secret, infoHash.Span));
        var decryptor = Rc4.ForMse(Hash("keyA"u8, secret, infoHash.Span));
        var offer = _reader.Peek(VcLength + 6);
        decryptor.Transform(offer);
        if (offer[..VcLength].IndexOfAnyExcept((byte)0) >= 0)
            throw new MseHandshakeException("the peer's verification constant is wrong");
        var provide = (EncryptionMethod)BinaryPrimitives.ReadUInt32BigEndian(offer[VcLength..]);
        var padC = BinaryPrimitives.ReadUInt16BigEndian(offer[(VcLength + 4)..]);
        _reader.Consume(VcLength + 6);
        if (padC > MseOptions.MaxPadLength)
            throw new MseHandshakeException($"the peer's PadC is {padC} bytes (at most {MseOptions.MaxPadLength})");
        await StepAsync("the peer's PadC", t => _reader.FillAsync(padC + 2, "PadC", t)).ConfigureAwait(false);
        var padAndLength = _reader.Peek(padC + 2);
        decryptor.Transform(padAndLength);
        var iaLength = BinaryPrimitives.ReadUInt16BigEndian(padAndLength[padC..]);
        _reader.Consume(padC + 2);
        var ia = new byte[iaLength];
        await StepAsync("the peer's initial payload", t => _reader.ReadExactlyAsync(ia, "its initial payload", t)).ConfigureAwait(false);
        decryptor.Transform(ia);

        var selected = preferPlaintext && (provide & allowed & EncryptionMethod.Plaintext) != 0 ? EncryptionMethod.Plaintext
            : (provide & allowed & EncryptionMethod.Rc4) != 0 ? EncryptionMethod.Rc4
            : (provide & allowed & EncryptionMethod.Plaintext) != 0 ? EncryptionMethod.Plaintext
            : throw new MseHandshakeException($"the peer offers crypto 0x{(uint)provide:x}, we allow 0x{(uint)allowed:x}");

        // Step 4.
        var padD = NextPadLength();
        var answer = new byte[VcLength + 6 + padD];
        BinaryPrimitives.WriteUInt32BigEndian(answer.AsSpan(VcLength), (uint)selected);
        BinaryPrimitives.WriteUInt16BigEndian(answer.AsSpan(VcLength + 4), (ushort)padD);
        encryptor.Transform(answer);
        await StepAsync("sending the crypto selection", t => _stream.WriteAsync(answer, t)).ConfigureAwait(false);
        await StepAsync("sending the crypto selection", t => new ValueTask(_stream.FlushAsync(t))).ConfigureAwait(false);

        return new MseResult(PayloadStream(selected, encryptor, decryptor), selected, infoHash, ia);
    }

    private Stream PayloadStream(EncryptionMethod selected, Rc4 encryptor, Rc4 decryptor)
    {
        var leftover = _reader.TakeLeftover();
        var raw = leftover.Length == 0 ? _stream : new PrefixedStream(_stream, leftover);
        return selected == EncryptionMethod.Rc4 ? new Rc4Stream(raw, encryptor, decryptor) : raw;
    }

    private async Task SendKeyAndPadAsync(DiffieHellman keys, string what)
    {
        var pad = NextPadLength();
        var message = new byte[DiffieHellman.KeyLength + pad];
        keys.PublicKey.CopyTo(message, 0);
        _options.Random.NextBytes(message.AsSpan(DiffieHellman.KeyLength));
        await StepAsync(what, t => _stream.WriteAsync(message, t)).ConfigureAwait(false);
        await StepAsync(what, t => new ValueTask(_stream.FlushAsync(t))).ConfigureAwait(false);
    }

    private int NextPadLength() => _options.Random.Next(0, _options.PadLength + 1);

    /// <summary>Runs one step under its own timeout (and the handshake's); a timeout becomes an <see cref="MseHandshakeException"/>.</summary>
    private async ValueTask StepAsync(string what, Func<CancellationToken, ValueTask> step)
    {
        using var timeout = new CancellationTokenSource(_options.StepTimeout, _options.TimeProvider);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(_overall.Token, timeout.Token);
        try
        {
            await step(linked.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (timeout.IsCancellationRequested && !_overall.IsCancellationRequested)
        {
            throw new MseHandshakeException($"timed out after {_options.StepTimeout.TotalSeconds:0.#} s waiting for {what}");
        }
    }

    private async ValueTask StepAsync(string what, Func<CancellationToken, ValueTask<int>> step) =>
        await StepAsync(what, async t => { await step(t).ConfigureAwait(false); }).ConfigureAwait(false);

    private static InfoHash? FindInfoHash(IEnumerable<InfoHash> candidates, ReadOnlySpan<byte> req2)
    {
        Span<byte> expected = stackalloc byte[HashLength];
        foreach (var candidate in candidates)
        {
            Hash("req2"u8, candidate.Span, [], expected);
            if (CryptographicOperations.FixedTimeEquals(expected, req2))
                return candidate;
        }
        return null;
    }

    private static byte[] Hash(ReadOnlySpan<byte> label, ReadOnlySpan<byte> first, ReadOnlySpan<byte> second)
    {
        var hash = new byte[HashLength];
        Hash(label, first, second, hash);
        return hash;
    }

    private static void Hash(ReadOnlySpan<byte> label, ReadOnlySpan<byte> first, ReadOnlySpan<byte> second, Span<byte> destination)
    {
        Span<byte> input = stackalloc byte[label.Length + first.Length + second.Length];
        label.CopyTo(input);
        first.CopyTo(input[label.Length..]);
        second.CopyTo(input[(label.Length + first.Length)..]);
        SHA1.HashData(input, destination);
    }
}
