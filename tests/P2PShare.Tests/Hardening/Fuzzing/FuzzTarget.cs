using P2PShare.Fuzz;

namespace P2PShare.Tests.Hardening.Fuzzing;

/// <summary>
/// One parser of outside bytes (<see cref="FuzzParser"/>, shared with the AFL++ driver in fuzz/P2PShare.Fuzz) with seeds
/// made by our own encoders. <see cref="Run"/> lets through only the parser's documented errors; anything else is a crash.
/// </summary>
public sealed record FuzzTarget(string Name, Action<byte[]> Parse, IReadOnlyList<byte[]> Seeds, Func<Exception, bool> IsClearError)
{
    internal FuzzTarget(FuzzParser parser, IReadOnlyList<byte[]> seeds)
        : this(parser.Name, parser.Parse, seeds, parser.IsClearError)
    {
    }

    public void Run(byte[] input)
    {
        try
        {
            Parse(input);
        }
        catch (Exception error) when (IsClearError(error))
        {
        }
    }

    public override string ToString() => Name;
}
