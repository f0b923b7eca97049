using System.Buffers;
using System.Buffers.Text;
using System.Security.Cryptography;
using System.Text;
using P2PShare.Bencode;
using P2PShare.Metainfo;
using P2PShare.Protocol;

namespace P2PShare.Storage;

/// <summary>
/// The resume file format: a bencoded dictionary {version, payload, checksum} where payload is the bencoded resume data
/// and checksum its SHA-1, so any damage to the payload is detected rather than trusted.
/// </summary>
internal static class ResumeCodec
{
    /// <summary>Larger resume files are refused unread (a million pieces and files fit easily below this).</summary>
    public const long MaxFileSize = 64L * 1024 * 1024;

    public static byte[] Encode(ResumeData data)
    {
        ArgumentNullException.ThrowIfNull(data);
        var payloadBytes = EncodePayload(data);
        var outer = new BDictionary
        {
            ["version"] = new BInteger(ResumeData.CurrentFormatVersion),
            ["payload"] = new BString(payloadBytes),
            ["checksum"] = new BString(SHA1.HashData(payloadBytes)),
        };
        return BencodeEncoder.Encode(outer);
    }

    /// <summary>
    /// The payload dictionary, written straight out in canonical key order (the bytes a tree of it would encode to):
    /// with 100,000 files a tree cost 700,000 objects (~100 MB) on every periodic save.
    /// </summary>
    private static byte[] EncodePayload(ResumeData data)
    {
        var writer = new ArrayBufferWriter<byte>(4096 + data.Files.Count * 64);
        PutByte(writer, (byte)'d');
        if (data.BootId is { } bootId)
        {
            PutKey(writer, "boot-id");
            PutText(writer, bootId);
        }
        PutKey(writer, "downloaded");
        PutInteger(writer, data.BytesDownloaded);
        if (data.FilePriorities is { } priorities)
        {
            PutKey(writer, "file-priority");
            PutByte(writer, (byte)'l');
            foreach (var priority in priorities)
                PutInteger(writer, priority);
            PutByte(writer, (byte)'e');
        }
        PutKey(writer, "files");
        PutByte(writer, (byte)'l');
        foreach (var file in data.Files)
        {
            PutByte(writer, (byte)'d');
            PutKey(writer, "length");
            PutInteger(writer, file.Length);
            PutKey(writer, "mtime");
            PutInteger(writer, file.LastWriteTicksUtc);
            PutKey(writer, "path");
            PutText(writer, file.Path);
            PutByte(writer, (byte)'e');
        }
        PutByte(writer, (byte)'e');
        PutKey(writer, "info-hash");
        PutBytes(writer, data.InfoHash.Memory.Span);
        if (data.PartPieces is { } parts)
        {
            PutKey(writer, "part-pieces");
            PutBytes(writer, parts.Bytes);
        }
        PutKey(writer, "peers");
        PutByte(writer, (byte)'l');
        foreach (var peer in data.Peers)
            PutText(writer, peer);
        PutByte(writer, (byte)'e');
        PutKey(writer, "piece-count");
        PutInteger(writer, data.VerifiedPieces.Length);
        PutKey(writer, "pieces");
        PutBytes(writer, data.VerifiedPieces.Bytes);
        if (data.UnsyncedPieces is { } unsynced)
        {
            PutKey(writer, "unsynced");
            PutBytes(writer, unsynced.Bytes);
        }
        PutKey(writer, "uploaded");
        PutInteger(writer, data.BytesUploaded);
        PutKey(writer, "version");
        PutInteger(writer, ResumeData.CurrentFormatVersion);
        PutByte(writer, (byte)'e');
        return writer.WrittenSpan.ToArray();
    }

    private static void PutKey(ArrayBufferWriter<byte> writer, string asciiKey) => PutText(writer, asciiKey);

    private static void PutText(ArrayBufferWriter<byte> writer, string text)
    {
        var length = Encoding.UTF8.GetByteCount(text);
        PutNumber(writer, length);
        PutByte(writer, (byte)':');
        writer.Advance(Encoding.UTF8.GetBytes(text, writer.GetSpan(length)));
    }

    private static void PutBytes(ArrayBufferWriter<byte> writer, ReadOnlySpan<byte> bytes)
    {
        PutNumber(writer, bytes.Length);
        PutByte(writer, (byte)':');
        writer.Write(bytes);
    }

    private static void PutInteger(ArrayBufferWriter<byte> writer, long value)
    {
        PutByte(writer, (byte)'i');
        PutNumber(writer, value);
        PutByte(writer, (byte)'e');
    }

    private static void PutNumber(ArrayBufferWriter<byte> writer, long value)
    {
        Utf8Formatter.TryFormat(value, writer.GetSpan(20), out var written);
        writer.Advance(written);
    }

    private static void PutByte(ArrayBufferWriter<byte> writer, byte value)
    {
        writer.GetSpan(1)[0] = value;
        writer.Advance(1);
    }

    /// <summary>Decodes a resume file; never throws on bad input, the result says what is wrong.</summary>
    public static ResumeLoadResult Decode(ReadOnlyMemory<byte> bytes, InfoHash expected)
    {
        ArgumentNullException.ThrowIfNull(expected);
        if (bytes.IsEmpty)
            return ResumeLoadResult.Damaged("the file is empty");
        BDictionary outer;
        try
        {
            outer = BencodeDecoder.Decode(bytes) as BDictionary ?? throw new BencodeException("not a dictionary", 0);
        }
        catch (BencodeException error)
        {
            return ResumeLoadResult.Damaged($"not valid bencode ({error.Message})");
        }
        if (outer.Get<BInteger>("version") is not { } version)
            return ResumeLoadResult.Damaged("no format version");
        if (version.Value != ResumeData.CurrentFormatVersion)
            return new ResumeLoadResult(ResumeLoadStatus.WrongVersion, null,
                $"resume data has format version {version.Value}, expected {ResumeData.CurrentFormatVersion}");
        if (outer.Get<BString>("payload") is not { } payload || outer.Get<BString>("checksum") is not { } checksum)
            return ResumeLoadResult.Damaged("payload or checksum missing");
        if (!SHA1.HashData(payload.Span).AsSpan().SequenceEqual(checksum.Span))
            return ResumeLoadResult.Damaged("checksum mismatch");
        try
        {
            var data = DecodePayload(payload.Bytes);
            return data.InfoHash.Equals(expected)
                ? ResumeLoadResult.Loaded(data)
                : new ResumeLoadResult(ResumeLoadStatus.ForeignTorrent, null,
                    $"resume data is for another torrent ({data.InfoHash.Hex}, expected {expected.Hex})");
        }
        catch (Exception error) when (error is BencodeException or InvalidDataException or ArgumentException)
        {
            // A correct checksum over a malformed payload: written by a buggy or foreign program.
            return ResumeLoadResult.Damaged(error.Message);
        }
    }

    private static ResumeData DecodePayload(ReadOnlyMemory<byte> bytes)
    {
        var payload = BencodeDecoder.Decode(bytes) as BDictionary ?? throw new InvalidDataException("payload is not a dictionary");
        if (Integer(payload, "version") != ResumeData.CurrentFormatVersion)
            throw new InvalidDataException("payload version differs from the file's");
        var infoHash = payload.Get<BString>("info-hash") is { Bytes.Length: InfoHash.Length } hash
            ? new InfoHash(hash.Span)
            : throw new InvalidDataException("info-hash missing or not 20 bytes");
        var pieceCount = Integer(payload, "piece-count");
        if (pieceCount is < 0 or > int.MaxValue)
            throw new InvalidDataException($"piece count {pieceCount} out of range");
        var pieceBytes = payload.Get<BString>("pieces") ?? throw new InvalidDataException("no piece bitfield");
        if (!Bitfield.TryFromBytes(pieceBytes.Span, (int)pieceCount, out var pieces))
            throw new InvalidDataException("piece bitfield does not match the piece count");

        var files = new List<ResumeFileState>();
        foreach (var item in payload.Get<BList>("files") ?? throw new InvalidDataException("no file list"))
        {
            var entry = item as BDictionary ?? throw new InvalidDataException("file entry is not a dictionary");
            var path = entry.Get<BString>("path")?.Text ?? throw new InvalidDataException("file entry without a path");
            files.Add(new ResumeFileState(path, Integer(entry, "length"), Integer(entry, "mtime")));
        }
        var peers = (payload.Get<BList>("peers") ?? throw new InvalidDataException("no peer list"))
            .Select(p => (p as BString)?.Text ?? throw new InvalidDataException("peer is not a string")).ToList();
        List<byte>? priorities = null;
        if (payload.Get<BList>("file-priority") is { } levels)
        {
            priorities = [];
            foreach (var level in levels)
                priorities.Add(level is BInteger { Value: >= 0 and <= 3 } value ? (byte)value.Value : throw new InvalidDataException("file priority is not 0..3"));
        }
        Bitfield? parts = null;
        if (payload.Get<BString>("part-pieces") is { } partBytes && !Bitfield.TryFromBytes(partBytes.Span, (int)pieceCount, out parts))
            throw new InvalidDataException("part-file bitfield does not match the piece count");
        Bitfield? unsynced = null;
        string? bootId = null;
        if (payload.Get<BString>("unsynced") is { } unsyncedBytes)
        {
            if (!Bitfield.TryFromBytes(unsyncedBytes.Span, (int)pieceCount, out unsynced))
                throw new InvalidDataException("unsynced bitfield does not match the piece count");
            // Unsynced pieces without the boot they were saved in could never be trusted safely.
            bootId = payload.Get<BString>("boot-id")?.Text ?? throw new InvalidDataException("unsynced pieces without a boot id");
        }
        return new ResumeData(infoHash, pieces, files, peers, Integer(payload, "downloaded"), Integer(payload, "uploaded"), priorities, parts, unsynced, bootId);
    }

    private static long Integer(BDictionary dictionary, string key) =>
        dictionary.Get<BInteger>(key)?.Value ?? throw new InvalidDataException($"'{key}' missing or not an integer");
}
