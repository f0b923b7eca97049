using P2PShare.Protocol;
using System.Text.Json;
using P2PShare.Engine.Native;
using P2PShare.Protocol.Native;

namespace P2PShare.Storage.Native;

/// <summary>
/// The piece bitmap kept beside a partial download ("FILE.p2pshare-resume"). Its presence means the file
/// is incomplete. It is replaced atomically (temp file, flush, rename), so a crash leaves the old or the new
/// version, never a broken one.
/// </summary>
internal sealed class NativeResumeFile(string dataFilePath) : INativeResumeStore
{
    public const string Suffix = ".p2pshare-resume";
    private const int FormatVersion = 1;
    private const long MaxResumeFileSize = 64L * 1024 * 1024;

    public string Path { get; } = dataFilePath + Suffix;

    public bool Exists => File.Exists(Path);

    /// <summary>Null when there is no resume file; throws <see cref="InvalidDataException"/> when it is damaged.</summary>
    public NativeResumeState? Load()
    {
        if (!File.Exists(Path))
            return null;
        if (new FileInfo(Path).Length > MaxResumeFileSize)
            throw new InvalidDataException($"{Path} is too large to be a resume file");
        var bytes = File.ReadAllBytes(Path);
        try
        {
            using var document = JsonDocument.Parse(bytes);
            var root = document.RootElement;
            if (root.GetProperty("version").GetInt32() != FormatVersion)
                throw new InvalidDataException($"{Path} has an unknown format version");
            var descriptor = new NativeFileDescriptor(
                root.GetProperty("fileName").GetString() ?? "",
                root.GetProperty("fileSize").GetInt64(),
                root.GetProperty("fileHash").GetString() ?? throw new InvalidDataException("no fileHash"),
                root.GetProperty("pieceSize").GetInt32());
            if (!NativeFileDescriptor.IsAcceptable(descriptor.FileSize, descriptor.PieceSize, NativeCodecLimits.Default, out var reason))
                throw new InvalidDataException(reason);
            if (root.TryGetProperty("pieceHashes", out var hashes) && hashes.ValueKind == JsonValueKind.Array)
            {
                var list = hashes.EnumerateArray().Select(h => h.GetString() ?? "").ToList();
                if (list.Count == descriptor.PieceCount)
                    descriptor = descriptor with { PieceHashes = list };
            }
            var bitmap = DecodeHave(root.GetProperty("have").GetBytesFromBase64(), descriptor.PieceCount);
            return new NativeResumeState(descriptor, bitmap);
        }
        catch (Exception error) when (error is JsonException or KeyNotFoundException or FormatException or InvalidOperationException)
        {
            throw new InvalidDataException($"{Path} is damaged: {error.Message}", error);
        }
    }

    public void Save(NativeResumeState state)
    {
        var buffer = new System.Buffers.ArrayBufferWriter<byte>();
        {
            using (var json = new Utf8JsonWriter(buffer))
            {
                json.WriteStartObject();
                json.WriteNumber("version", FormatVersion);
                json.WriteString("fileName", state.File.FileName);
                json.WriteNumber("fileSize", state.File.FileSize);
                json.WriteString("fileHash", state.File.FileHash);
                json.WriteNumber("pieceSize", state.File.PieceSize);
                if (state.File.PieceHashes is { } hashes)
                {
                    json.WriteStartArray("pieceHashes");
                    foreach (var hash in hashes)
                        json.WriteStringValue(hash);
                    json.WriteEndArray();
                }
                json.WriteBase64String("have", EncodeHave(state.Pieces));
                json.WriteEndObject();
            }
        }
        AtomicFile.Write(Path, buffer.WrittenSpan);
    }

    /// <summary>
    /// The "have" bytes as resume files have always kept them: piece i is bit (i % 8) of byte i / 8, counted from the
    /// low bit (the reverse of the BitTorrent wire order that <see cref="Bitfield"/> keeps in memory).
    /// </summary>
    internal static byte[] EncodeHave(Bitfield pieces)
    {
        var bytes = pieces.Bytes.ToArray();
        for (var i = 0; i < bytes.Length; i++)
            bytes[i] = ReverseBits(bytes[i]);
        return bytes;
    }

    /// <summary>Reads <see cref="EncodeHave"/>'s bytes; a wrong length or a bit past the last piece is damage.</summary>
    internal static Bitfield DecodeHave(ReadOnlySpan<byte> bytes, int pieceCount)
    {
        var wire = new byte[bytes.Length];
        for (var i = 0; i < bytes.Length; i++)
            wire[i] = ReverseBits(bytes[i]);
        if (!Bitfield.TryFromBytes(wire, pieceCount, out var pieces))
            throw new InvalidDataException($"the piece bitmap has {bytes.Length} bytes or bits past the end, for {pieceCount} pieces");
        return pieces;
    }

    private static byte ReverseBits(byte value)
    {
        var reversed = 0;
        for (var bit = 0; bit < 8; bit++)
            reversed |= ((value >> bit) & 1) << (7 - bit);
        return (byte)reversed;
    }

    public void Delete()
    {
        File.Delete(Path);
        File.Delete(Path + ".tmp");
    }
}
