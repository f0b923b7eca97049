using System.Text;

namespace P2PShare.Bencode;

/// <summary>A bencode byte string. Bencode strings are bytes; <see cref="Text"/> reads them as UTF-8.</summary>
internal sealed class BString : BValue, IEquatable<BString>, IComparable<BString>
{
    public BString(ReadOnlyMemory<byte> bytes) => Bytes = bytes;

    public BString(string text) => Bytes = Encoding.UTF8.GetBytes(text);

    public ReadOnlyMemory<byte> Bytes { get; }

    public ReadOnlySpan<byte> Span => Bytes.Span;

    public string Text => Encoding.UTF8.GetString(Bytes.Span);

    /// <summary>True when the bytes are valid UTF-8 (file names must be, to be used as paths).</summary>
    public bool IsValidUtf8 => System.Text.Unicode.Utf8.IsValid(Bytes.Span);

    public bool Equals(BString? other) => other is not null && Span.SequenceEqual(other.Span);

    public override bool Equals(object? obj) => obj is BString other && Equals(other);

    public override int GetHashCode()
    {
        var hash = new HashCode();
        hash.AddBytes(Span);
        return hash.ToHashCode();
    }

    /// <summary>Raw byte order, as bencode requires for dictionary keys.</summary>
    public int CompareTo(BString? other) => other is null ? 1 : Span.SequenceCompareTo(other.Span);

    public override string ToString() => Text;

    public static implicit operator BString(string text) => new(text);
}
