namespace P2PShare.Tests.Hardening.Fuzzing;

/// <summary>
/// One parser that reads bytes from outside, as a fuzz target: <see cref="Run"/> feeds it one input and lets through
/// only the clear errors the parser documents (a <see cref="FormatException"/> family, the protocol's own exception);
/// anything else (IndexOutOfRange, NullReference, ArgumentOutOfRange, OutOfMemory...) is a crash to fix.
/// </summary>
public sealed record FuzzTarget(string Name, Action<byte[]> Parse, IReadOnlyList<byte[]> Seeds, Func<Exception, bool> IsClearError)
{
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
