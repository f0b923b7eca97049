using System.Buffers;
using System.Buffers.Text;

namespace P2PShare.Bencode;

/// <summary>Canonical bencode encoder: dictionary keys sorted by raw bytes.</summary>
internal static class BencodeEncoder
{
    public static byte[] Encode(BValue value)
    {
        var writer = new ArrayBufferWriter<byte>();
        Encode(value, writer);
        return writer.WrittenSpan.ToArray();
    }

    public static void Encode(BValue value, IBufferWriter<byte> writer)
    {
        switch (value)
        {
            case BString text:
                WriteString(text.Span, writer);
                break;
            case BInteger integer:
                WriteByte((byte)'i', writer);
                WriteNumber(integer.Value, writer);
                WriteByte((byte)'e', writer);
                break;
            case BList list:
                WriteByte((byte)'l', writer);
                foreach (var item in list)
                    Encode(item, writer);
                WriteByte((byte)'e', writer);
                break;
            case BDictionary dictionary:
                WriteByte((byte)'d', writer);
                foreach (var (key, item) in dictionary.Sorted())
                {
                    WriteString(key.Span, writer);
                    Encode(item, writer);
                }
                WriteByte((byte)'e', writer);
                break;
            case BDeferred deferred:
                // Bytes the decoder accepted and left unbuilt: written as they came.
                writer.Write(deferred.Raw.Span);
                break;
            default:
                throw new ArgumentException($"unknown bencode value type {value.GetType().Name}", nameof(value));
        }
    }

    private static void WriteString(ReadOnlySpan<byte> bytes, IBufferWriter<byte> writer)
    {
        WriteNumber(bytes.Length, writer);
        WriteByte((byte)':', writer);
        writer.Write(bytes);
    }

    private static void WriteNumber(long number, IBufferWriter<byte> writer)
    {
        var span = writer.GetSpan(20);
        Utf8Formatter.TryFormat(number, span, out var written);
        writer.Advance(written);
    }

    private static void WriteByte(byte value, IBufferWriter<byte> writer)
    {
        writer.GetSpan(1)[0] = value;
        writer.Advance(1);
    }
}
