using System.Net;
using FsCheck;
using FsCheck.Fluent;
using P2PShare.Bencode;

namespace P2PShare.Tests.Hardening.Properties;

/// <summary>FsCheck generators for the values our codecs carry: bencode trees, addresses, byte strings.</summary>
internal static class Generators
{
    public static Gen<(TA, TB, TC)> Zip<TA, TB, TC>(Gen<TA> a, Gen<TB> b, Gen<TC> c) =>
        Gen.Zip(Gen.Zip(a, b), c).Select(x => (x.Item1.Item1, x.Item1.Item2, x.Item2));

    public static Gen<(TA, TB, TC, TD)> Zip<TA, TB, TC, TD>(Gen<TA> a, Gen<TB> b, Gen<TC> c, Gen<TD> d) =>
        Gen.Zip(Zip(a, b, c), d).Select(x => (x.Item1.Item1, x.Item1.Item2, x.Item1.Item3, x.Item2));

    public static Gen<(TA, TB, TC, TD, TE)> Zip<TA, TB, TC, TD, TE>(Gen<TA> a, Gen<TB> b, Gen<TC> c, Gen<TD> d, Gen<TE> e) =>
        Gen.Zip(Zip(a, b, c, d), e).Select(x => (x.Item1.Item1, x.Item1.Item2, x.Item1.Item3, x.Item1.Item4, x.Item2));

    /// <summary>0 to <paramref name="max"/> values.</summary>
    public static Gen<T[]> ListOf<T>(Gen<T> item, int max) =>
        Gen.Choose(0, max).SelectMany(count => Gen.ArrayOf(item, count));

    public static Gen<byte> Byte { get; } = Gen.Choose(0, 255).Select(value => (byte)value);

    public static Gen<byte[]> Bytes(int maxLength) =>
        Gen.Choose(0, maxLength).SelectMany(length => Gen.ArrayOf(Byte, length));

    public static Gen<byte[]> FixedBytes(int length) => Gen.ArrayOf(Byte, length);

    public static Gen<int> Int { get; } = Gen.Choose(int.MinValue, int.MaxValue);

    public static Gen<int> NonNegative { get; } = Gen.Choose(0, int.MaxValue);

    public static Gen<ushort> UShort { get; } = Gen.Choose(0, ushort.MaxValue).Select(value => (ushort)value);

    public static Gen<uint> UInt { get; } = Gen.Zip(UShort, UShort, (high, low) => ((uint)high << 16) | low);

    public static Gen<long> Long { get; } = Gen.Zip(Int, Int, (high, low) => ((long)high << 32) | (uint)low);

    /// <summary>Small, near-edge and any 64-bit integers (bencode integers, sizes).</summary>
    public static Gen<long> Integer { get; } = Gen.OneOf(
        Gen.Choose(-1000, 1000).Select(value => (long)value),
        Gen.Elements(0L, -1L, long.MaxValue, long.MinValue + 1, int.MaxValue, (long)int.MaxValue + 1, uint.MaxValue),
        Long);

    public static Gen<int> Port { get; } = Gen.Choose(1, 65535);

    public static Gen<IPEndPoint> IPv4EndPoint { get; } =
        Gen.Zip(FixedBytes(4), Port, (address, port) => new IPEndPoint(new IPAddress(address), port));

    /// <summary>IPv6 addresses that are not IPv4-mapped (those travel as IPv4 in several codecs).</summary>
    public static Gen<IPEndPoint> IPv6EndPoint { get; } =
        Gen.Zip(FixedBytes(16).Where(bytes => !new IPAddress(bytes).IsIPv4MappedToIPv6), Port, (address, port) => new IPEndPoint(new IPAddress(address), port));

    public static Gen<string> AsciiText(int maxLength) =>
        Gen.Choose(0, maxLength).SelectMany(length => Gen.ArrayOf(Gen.Choose(0x20, 0x7e).Select(c => (char)c), length)).Select(chars => new string(chars));

    /// <summary>Unicode text without lone surrogates (round trips through UTF-8).</summary>
    public static Gen<string> Text(int maxLength) =>
        Gen.Choose(0, maxLength).SelectMany(length => Gen.ArrayOf(
            Gen.OneOf(Gen.Choose(0x20, 0x7e), Gen.Choose(0xa0, 0xd7ff), Gen.Choose(0xe000, 0xfffd)).Select(c => (char)c), length))
            .Select(chars => new string(chars));

    public static Gen<BValue> Bencode { get; } = Gen.Sized(size => BencodeOfDepth(Math.Min(size, 24), 4));

    private static Gen<BValue> BencodeOfDepth(int size, int depth)
    {
        var leaf = Gen.OneOf(
            Bytes(Math.Max(0, size)).Select(bytes => (BValue)new BString(bytes)),
            Integer.Select(value => (BValue)new BInteger(value)));
        if (depth == 0 || size < 2)
            return leaf;
        var child = BencodeOfDepth(size / 2, depth - 1);
        var list = Gen.Choose(0, 4).SelectMany(count => Gen.ArrayOf(child, count)).Select(items => (BValue)new BList(items));
        var dictionary = Gen.Choose(0, 4).SelectMany(count => Gen.ArrayOf(Gen.Zip(Bytes(8), child), count)).Select(pairs =>
        {
            var result = new BDictionary();
            foreach (var (key, value) in pairs)
                result.Set(new BString(key), value);
            return (BValue)result;
        });
        return Gen.Frequency((2, leaf), (1, list), (1, dictionary));
    }

    /// <summary>Structural equality of two bencode values (dictionary order ignored; the encoder sorts).</summary>
    public static bool SameBencode(BValue left, BValue right) => (left, right) switch
    {
        (BString a, BString b) => a.Equals(b),
        (BInteger a, BInteger b) => a.Value == b.Value,
        (BList a, BList b) => a.Count == b.Count && a.Zip(b).All(pair => SameBencode(pair.First, pair.Second)),
        (BDictionary a, BDictionary b) => a.Count == b.Count
            && a.Sorted().Zip(b.Sorted()).All(pair => pair.First.Key.Equals(pair.Second.Key) && SameBencode(pair.First.Value, pair.Second.Value)),
        _ => false,
    };
}
