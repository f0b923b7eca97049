using System.Buffers;
using System.Buffers.Text;
using System.Text.Json;

namespace P2PShare.Protocol.Native;

/// <summary>
/// Parses one line into a message with <see cref="Utf8JsonReader"/>. Keys may come in any order,
/// unknown keys are skipped; piece data is decoded into a pooled buffer bounded by the limits.
/// </summary>
internal static class NativeMessageReader
{
    private const int HashHexLength = 40;

    public static NativeParseOutcome TryParse(ReadOnlySequence<byte> line, NativeCodecLimits limits, out NativeMessage? message, out string? error)
    {
        message = null;
        error = null;
        if (IsBlank(line))
            return NativeParseOutcome.Ignored;
        var fields = new Fields();
        try
        {
            var reader = new Utf8JsonReader(line, new JsonReaderOptions { MaxDepth = 8 });
            if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject)
                return Fail("not a JSON object", out error);
            if (!ReadObject(ref reader, limits, ref fields, out error))
            {
                fields.ReleaseData();
                return NativeParseOutcome.Invalid;
            }
            if (reader.Read())
            {
                fields.ReleaseData();
                return Fail("trailing data after the object", out error);
            }
        }
        catch (JsonException jsonError)
        {
            fields.ReleaseData();
            return Fail($"invalid JSON: {jsonError.Message}", out error);
        }
        catch (InvalidOperationException utf8Error)
        {
            // A string value that is not valid UTF-8 (found by the fuzz smoke): the reader throws this, not JsonException.
            fields.ReleaseData();
            return Fail($"invalid JSON: {utf8Error.Message}", out error);
        }
        var outcome = Build(ref fields, limits, out message, out error);
        if (message is not NativePiece)
            fields.ReleaseData();
        return outcome;
    }

    private static NativeParseOutcome Build(ref Fields f, NativeCodecLimits limits, out NativeMessage? message, out string? error)
    {
        message = null;
        error = null;
        switch (f.Type)
        {
            case null:
                return Fail("no type", out error);
            case "handshake":
                if (f.Id is null || f.Id.Length == 0)
                    return Fail("handshake without id", out error);
                if (f.PieceSize is not { } pieceSize || pieceSize < 0 || pieceSize > limits.MaxPieceSize)
                    return Fail("handshake with a missing or out-of-range pieceSize", out error);
                if (f.Port is not { } port || port < 0 || port > 65535)
                    return Fail("handshake with a missing or out-of-range port", out error);
                if (f.FileSize is < 0)
                    return Fail("handshake with a negative fileSize", out error);
                if (f.FileHash is not null && !IsHex(f.FileHash, HashHexLength))
                    return Fail("handshake with a malformed fileHash", out error);
                message = new NativeHandshake(f.Id, f.FileName, f.FileSize, f.FileHash?.ToLowerInvariant(), (int)pieceSize, (int)port)
                {
                    PieceHashes = f.PieceHashes,
                    Tls = f.Tls,
                    AuthNonce = f.AuthNonce,
                    Extensions = f.Extensions is > 0 and < 1000 ? (int)f.Extensions : 0,
                };
                return NativeParseOutcome.Message;
            case "bitfield":
                if (f.Pieces is null)
                    return Fail("bitfield without pieces", out error);
                message = new NativeBitfield(f.Pieces);
                return NativeParseOutcome.Message;
            case "request" or "have" or "cancel" or "donthave":
                if (f.Index is not { } index || index < 0 || index >= limits.MaxPieceCount)
                    return Fail($"{f.Type} with a missing or out-of-range index", out error);
                message = f.Type switch
                {
                    "request" => new NativeRequest((int)index),
                    "have" => new NativeHave((int)index),
                    "cancel" => new NativeCancel((int)index),
                    _ => new NativeDontHave((int)index),
                };
                return NativeParseOutcome.Message;
            case "piece":
                if (f.Index is not { } pieceIndex || pieceIndex < 0 || pieceIndex >= limits.MaxPieceCount)
                    return Fail("piece with a missing or out-of-range index", out error);
                if (f.Data is null)
                    return Fail("piece without valid data", out error);
                message = new NativePiece((int)pieceIndex, f.Data, f.DataLength);
                return NativeParseOutcome.Message;
            case "peers":
                if (f.Peers is null)
                    return Fail("peers without a list", out error);
                message = new NativePeers(f.Peers);
                return NativeParseOutcome.Message;
            case "keepalive":
                message = NativeKeepAlive.Instance;
                return NativeParseOutcome.Message;
            case "auth":
                if (f.Proof is null)
                    return Fail("auth without proof", out error);
                message = new NativeAuth(f.Proof);
                return NativeParseOutcome.Message;
            default:
                return NativeParseOutcome.Ignored;
        }
    }

    private static bool ReadObject(ref Utf8JsonReader reader, NativeCodecLimits limits, ref Fields f, out string? error)
    {
        error = null;
        while (reader.Read())
        {
            if (reader.TokenType == JsonTokenType.EndObject)
                return true;
            var key = reader.GetString();
            reader.Read();
            switch (key)
            {
                case "type": f.Type = ReadString(ref reader, 32); break;
                case "id": f.Id = ReadString(ref reader, 64); break;
                case "fileName": f.FileName = ReadString(ref reader, limits.MaxStringLength); break;
                case "fileHash": f.FileHash = ReadString(ref reader, HashHexLength); break;
                case "authNonce": f.AuthNonce = ReadString(ref reader, 64); break;
                case "proof": f.Proof = ReadString(ref reader, 128); break;
                case "fileSize": f.FileSize = ReadInteger(ref reader); break;
                case "pieceSize": f.PieceSize = ReadInteger(ref reader); break;
                case "port": f.Port = ReadInteger(ref reader); break;
                case "index": f.Index = ReadInteger(ref reader); break;
                case "ext": f.Extensions = ReadInteger(ref reader); break;
                case "tls": f.Tls = reader.TokenType == JsonTokenType.True; break;
                case "data":
                    if (!ReadData(ref reader, limits, ref f, out error))
                        return false;
                    break;
                case "pieces":
                    if (!ReadIndexList(ref reader, limits, out f.Pieces, out error))
                        return false;
                    break;
                case "pieceHashes":
                    f.PieceHashes = ReadHashList(ref reader, limits);
                    break;
                case "peers":
                    if (reader.TokenType == JsonTokenType.StartArray)
                        f.Peers = ReadPeerList(ref reader, limits);
                    else
                        reader.Skip();
                    break;
                default:
                    reader.Skip();
                    break;
            }
        }
        error = "unterminated object";
        return false;
    }

    /// <summary>A string no longer than <paramref name="maxLength"/>, else null (a non-string token is skipped).</summary>
    private static string? ReadString(ref Utf8JsonReader reader, int maxLength)
    {
        if (reader.TokenType != JsonTokenType.String)
        {
            reader.Skip();
            return null;
        }
        var encodedLength = reader.HasValueSequence ? reader.ValueSequence.Length : reader.ValueSpan.Length;
        // Escapes only shrink the text, so the encoded length bounds what GetString allocates.
        if (encodedLength > maxLength * 6L)
            return null;
        var value = reader.GetString();
        return value is not null && value.Length <= maxLength ? value : null;
    }

    private static long? ReadInteger(ref Utf8JsonReader reader)
    {
        if (reader.TokenType == JsonTokenType.Number && reader.TryGetInt64(out var value))
            return value;
        reader.Skip();
        return null;
    }

    private static bool ReadData(ref Utf8JsonReader reader, NativeCodecLimits limits, ref Fields f, out string? error)
    {
        error = null;
        if (reader.TokenType != JsonTokenType.String)
        {
            reader.Skip();
            return true;
        }
        var encodedLength = reader.HasValueSequence ? reader.ValueSequence.Length : reader.ValueSpan.Length;
        if (encodedLength > limits.MaxEncodedPieceLength * 6L)
        {
            error = "piece data longer than the largest piece";
            return false;
        }
        f.ReleaseData();
        var encoded = ArrayPool<byte>.Shared.Rent((int)encodedLength);
        try
        {
            // CopyString unescapes and joins segments; base64 text normally has no escapes at all.
            var length = reader.CopyString(encoded);
            if (length > limits.MaxEncodedPieceLength)
            {
                error = "piece data longer than the largest piece";
                return false;
            }
            var decoded = ArrayPool<byte>.Shared.Rent(Math.Max(1, Base64.GetMaxDecodedFromUtf8Length(length)));
            var status = Base64.DecodeFromUtf8(encoded.AsSpan(0, length), decoded, out _, out var written);
            if (status != OperationStatus.Done || written > limits.MaxPieceSize)
            {
                ArrayPool<byte>.Shared.Return(decoded);
                error = status != OperationStatus.Done ? "piece data is not valid base64" : "piece data longer than the largest piece";
                return false;
            }
            f.Data = decoded;
            f.DataLength = written;
            return true;
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(encoded);
        }
    }

    private static bool ReadIndexList(ref Utf8JsonReader reader, NativeCodecLimits limits, out List<int>? list, out string? error)
    {
        list = null;
        error = null;
        if (reader.TokenType != JsonTokenType.StartArray)
        {
            reader.Skip();
            return true;
        }
        list = [];
        while (reader.Read() && reader.TokenType != JsonTokenType.EndArray)
        {
            if (reader.TokenType != JsonTokenType.Number || !reader.TryGetInt32(out var index) || index < 0 || index >= limits.MaxPieceCount)
            {
                error = "bitfield with an invalid index";
                return false;
            }
            if (list.Count >= limits.MaxPieceCount)
            {
                error = "bitfield longer than the largest piece count";
                return false;
            }
            list.Add(index);
        }
        return true;
    }

    private static List<string>? ReadHashList(ref Utf8JsonReader reader, NativeCodecLimits limits)
    {
        if (reader.TokenType != JsonTokenType.StartArray)
        {
            reader.Skip();
            return null;
        }
        var hashes = new List<string>();
        var valid = true;
        while (reader.Read() && reader.TokenType != JsonTokenType.EndArray)
        {
            var hash = ReadString(ref reader, HashHexLength);
            if (hash is null || !IsHex(hash, HashHexLength) || hashes.Count >= limits.MaxPieceCount)
                valid = false;
            else if (valid)
                hashes.Add(hash.ToLowerInvariant());
        }
        // A damaged hash list is worth nothing: fall back to the whole-file hash.
        return valid ? hashes : null;
    }

    private static List<NativePeerInfo> ReadPeerList(ref Utf8JsonReader reader, NativeCodecLimits limits)
    {
        var peers = new List<NativePeerInfo>();
        while (reader.Read() && reader.TokenType != JsonTokenType.EndArray)
        {
            if (reader.TokenType != JsonTokenType.StartObject || peers.Count >= limits.MaxPeersPerMessage)
            {
                reader.Skip();
                continue;
            }
            string? id = null, host = null;
            long? port = null;
            while (reader.Read() && reader.TokenType != JsonTokenType.EndObject)
            {
                var key = reader.GetString();
                reader.Read();
                switch (key)
                {
                    case "id": id = ReadString(ref reader, 64); break;
                    case "host": host = ReadString(ref reader, 256); break;
                    case "port": port = ReadInteger(ref reader); break;
                    default: reader.Skip(); break;
                }
            }
            if (id is { Length: > 0 } && host is { Length: > 0 } && port is > 0 and <= 65535)
                peers.Add(new NativePeerInfo(id, host, (int)port));
        }
        return peers;
    }

    private static bool IsBlank(ReadOnlySequence<byte> line)
    {
        foreach (var segment in line)
            foreach (var b in segment.Span)
                if (b is not ((byte)' ' or (byte)'\t' or (byte)'\r'))
                    return false;
        return true;
    }

    internal static bool IsHex(string value, int length)
    {
        if (value.Length != length)
            return false;
        foreach (var c in value)
            if (!char.IsAsciiHexDigit(c))
                return false;
        return true;
    }

    private static NativeParseOutcome Fail(string reason, out string? error)
    {
        error = reason;
        return NativeParseOutcome.Invalid;
    }

    /// <summary>Every key any message may carry; what counts depends on <see cref="Type"/>.</summary>
    private struct Fields
    {
        public string? Type, Id, FileName, FileHash, AuthNonce, Proof;
        public long? FileSize, PieceSize, Port, Index, Extensions;
        public bool Tls;
        public byte[]? Data;
        public int DataLength;
        public List<int>? Pieces;
        public List<string>? PieceHashes;
        public List<NativePeerInfo>? Peers;

        public void ReleaseData()
        {
            if (Data is not null)
                ArrayPool<byte>.Shared.Return(Data);
            Data = null;
        }
    }
}
