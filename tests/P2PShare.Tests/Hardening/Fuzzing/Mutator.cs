namespace P2PShare.Tests.Hardening.Fuzzing;

/// <summary>
/// AFL-style byte mutations for the in-process fuzz smoke: bit flips, interesting values (0, -1, lengths near
/// limits), ASCII digits (bencode lengths), insertions, deletions, duplications and splices with another seed.
/// Deterministic for a given <see cref="Random"/>, so a failure replays from its seed.
/// </summary>
public static class Mutator
{
    private static readonly byte[] Interesting = [0, 1, 0x7f, 0x80, 0xff, (byte)'e', (byte)'i', (byte)'l', (byte)'d', (byte)':', (byte)'-', (byte)'0', (byte)'9', (byte)'\n', (byte)'{', (byte)'"'];

    public static byte[] Mutate(byte[] input, IReadOnlyList<byte[]> corpus, Random random)
    {
        var data = new List<byte>(input);
        var rounds = 1 + random.Next(4);
        for (var round = 0; round < rounds; round++)
        {
            var at = data.Count == 0 ? 0 : random.Next(data.Count);
            switch (random.Next(9))
            {
                case 0 when data.Count > 0:
                    data[at] ^= (byte)(1 << random.Next(8));
                    break;
                case 1 when data.Count > 0:
                    data[at] = Interesting[random.Next(Interesting.Length)];
                    break;
                case 2:
                    data.Insert(at, (byte)random.Next(256));
                    break;
                case 3 when data.Count > 0:
                    data.RemoveRange(at, Math.Min(data.Count - at, 1 + random.Next(8)));
                    break;
                case 4 when data.Count > 0:
                    var length = Math.Min(data.Count - at, 1 + random.Next(32));
                    data.InsertRange(random.Next(data.Count), data.GetRange(at, length));
                    break;
                case 5:
                    // A big decimal number where a length or integer may be.
                    data.InsertRange(at, System.Text.Encoding.ASCII.GetBytes(random.Next(4) switch
                    {
                        0 => "4294967296",
                        1 => "2147483647",
                        2 => "99999999999999999999",
                        _ => random.Next().ToString(),
                    }));
                    break;
                case 6 when data.Count >= 4:
                    var value = random.Next(3) switch { 0 => int.MaxValue, 1 => -1, _ => random.Next(1 << 20) };
                    var spot = random.Next(data.Count - 3);
                    data[spot] = (byte)(value >> 24);
                    data[spot + 1] = (byte)(value >> 16);
                    data[spot + 2] = (byte)(value >> 8);
                    data[spot + 3] = (byte)value;
                    break;
                case 7 when corpus.Count > 0:
                    var other = corpus[random.Next(corpus.Count)];
                    if (other.Length > 0)
                    {
                        var from = random.Next(other.Length);
                        data.InsertRange(at, other.AsSpan(from, Math.Min(other.Length - from, 1 + random.Next(64))).ToArray());
                    }
                    break;
                default:
                    if (data.Count > 0)
                        data.RemoveRange(at, data.Count - at); // truncate
                    break;
            }
        }
        return [.. data];
    }
}
