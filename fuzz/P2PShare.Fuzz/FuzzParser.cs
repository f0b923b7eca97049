namespace P2PShare.Fuzz;

/// <summary>
/// One parser of bytes from outside, as a fuzz target. <see cref="Run"/> feeds it one input and lets through only the
/// errors the parser documents (<see cref="IsClearError"/>); anything else (IndexOutOfRange, NullReference,
/// ArgumentOutOfRange, InvalidOperation, OutOfMemory...) escapes and is a crash to fix.
/// </summary>
/// <param name="Name">The target's name on the command line and its corpus folder (fuzz/corpus/NAME).</param>
/// <param name="Reads">What outside party sends these bytes (for --list).</param>
internal sealed record FuzzParser(string Name, string Reads, Action<byte[]> Parse, Func<Exception, bool> IsClearError)
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
