namespace P2PShare.Bencode;

internal sealed class BInteger(long value) : BValue
{
    public long Value { get; } = value;

    public override string ToString() => Value.ToString(System.Globalization.CultureInfo.InvariantCulture);
}
