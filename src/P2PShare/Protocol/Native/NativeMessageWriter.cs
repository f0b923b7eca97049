using System.Buffers;
using System.Text.Json;

namespace P2PShare.Protocol.Native;

/// <summary>
/// Serializes messages as single JSON lines ending in "\n" with a reusable <see cref="Utf8JsonWriter"/>.
/// Not thread-safe: one instance per connection writer.
/// </summary>
internal sealed class NativeMessageWriter : IDisposable
{
    private readonly Utf8JsonWriter _json = new(Stream.Null, new JsonWriterOptions { Indented = false, SkipValidation = false });

    public void Write(IBufferWriter<byte> output, NativeMessage message)
    {
        _json.Reset(output);
        _json.WriteStartObject();
        switch (message)
        {
            case NativeHandshake h:
                _json.WriteString("type", "handshake");
                _json.WriteString("id", h.Id);
                WriteNullableString("fileName", h.FileName);
                if (h.FileSize is { } size) _json.WriteNumber("fileSize", size); else _json.WriteNull("fileSize");
                WriteNullableString("fileHash", h.FileHash);
                _json.WriteNumber("pieceSize", h.PieceSize);
                _json.WriteNumber("port", h.Port);
                if (h.PieceHashes is { } hashes)
                {
                    _json.WriteStartArray("pieceHashes");
                    foreach (var hash in hashes)
                        _json.WriteStringValue(hash);
                    _json.WriteEndArray();
                }
                if (h.Extensions > 0)
                    _json.WriteNumber("ext", h.Extensions);
                if (h.Tls)
                    _json.WriteBoolean("tls", true);
                if (h.AuthNonce is not null)
                    _json.WriteString("authNonce", h.AuthNonce);
                break;
            case NativeBitfield b:
                _json.WriteString("type", "bitfield");
                _json.WriteStartArray("pieces");
                foreach (var index in b.Pieces)
                    _json.WriteNumberValue(index);
                _json.WriteEndArray();
                break;
            case NativeRequest r:
                WriteIndexMessage("request", r.Index);
                break;
            case NativeHave h:
                WriteIndexMessage("have", h.Index);
                break;
            case NativeCancel c:
                WriteIndexMessage("cancel", c.Index);
                break;
            case NativeDontHave d:
                WriteIndexMessage("donthave", d.Index);
                break;
            case NativePiece p:
                _json.WriteString("type", "piece");
                _json.WriteNumber("index", p.Index);
                _json.WriteBase64String("data", p.Data);
                break;
            case NativePeers peers:
                _json.WriteString("type", "peers");
                _json.WriteStartArray("peers");
                foreach (var peer in peers.Peers)
                {
                    _json.WriteStartObject();
                    _json.WriteString("id", peer.Id);
                    _json.WriteString("host", peer.Host);
                    _json.WriteNumber("port", peer.Port);
                    _json.WriteEndObject();
                }
                _json.WriteEndArray();
                break;
            case NativeKeepAlive:
                _json.WriteString("type", "keepalive");
                break;
            case NativeAuth a:
                _json.WriteString("type", "auth");
                _json.WriteString("proof", a.Proof);
                break;
            default:
                throw new ArgumentException($"cannot serialize {message.GetType().Name}", nameof(message));
        }
        _json.WriteEndObject();
        _json.Flush();
        WriteNewline(output);
    }

    /// <summary>Writes a piece straight from the caller's bytes (no message object, no copy).</summary>
    public void WritePiece(IBufferWriter<byte> output, int index, ReadOnlySpan<byte> data)
    {
        _json.Reset(output);
        _json.WriteStartObject();
        _json.WriteString("type", "piece");
        _json.WriteNumber("index", index);
        _json.WriteBase64String("data", data);
        _json.WriteEndObject();
        _json.Flush();
        WriteNewline(output);
    }

    public void Dispose() => _json.Dispose();

    private void WriteIndexMessage(string type, int index)
    {
        _json.WriteString("type", type);
        _json.WriteNumber("index", index);
    }

    private void WriteNullableString(string name, string? value)
    {
        if (value is null)
            _json.WriteNull(name);
        else
            _json.WriteString(name, value);
    }

    private static void WriteNewline(IBufferWriter<byte> output)
    {
        output.GetSpan(1)[0] = (byte)'\n';
        output.Advance(1);
    }
}
