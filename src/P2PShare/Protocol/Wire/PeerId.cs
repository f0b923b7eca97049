using System.Text;

namespace P2PShare.Protocol.Wire;

/// <summary>A 20-byte peer id. Ours is Azureus style: "-PS0001-" then 12 random characters.</summary>
internal sealed class PeerId : IEquatable<PeerId>
{
    public const int Length = 20;
    public const string ClientPrefix = "-PS0001-";
    private const string RandomAlphabet = "0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ";
    private readonly byte[] _bytes;

    public PeerId(ReadOnlySpan<byte> bytes)
    {
        if (bytes.Length != Length)
            throw new ArgumentException($"a peer id is {Length} bytes", nameof(bytes));
        _bytes = bytes.ToArray();
    }

    public ReadOnlySpan<byte> Span => _bytes;

    public ReadOnlyMemory<byte> Memory => _bytes;

    public static PeerId CreateOurs(Random random)
    {
        Span<byte> bytes = stackalloc byte[Length];
        Encoding.ASCII.GetBytes(ClientPrefix, bytes);
        for (var i = ClientPrefix.Length; i < Length; i++)
            bytes[i] = (byte)RandomAlphabet[random.Next(RandomAlphabet.Length)];
        return new PeerId(bytes);
    }

    /// <summary>A readable client name from the id conventions (Azureus "-XX1234-" style), for peer lists.</summary>
    public string ClientName => PeerClientNames.Describe(_bytes);

    public bool Equals(PeerId? other) => other is not null && _bytes.AsSpan().SequenceEqual(other._bytes);

    public override bool Equals(object? obj) => obj is PeerId other && Equals(other);

    public override int GetHashCode() => BitConverter.ToInt32(_bytes, 12);

    public override string ToString() => ClientName;
}
