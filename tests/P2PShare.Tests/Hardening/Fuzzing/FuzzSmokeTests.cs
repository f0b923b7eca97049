using System.Diagnostics;

namespace P2PShare.Tests.Hardening.Fuzzing;

/// <summary>
/// The CI fuzz smoke: each parser of outside bytes gets its seeds, the committed corpus (fuzz/corpus/TARGET, inputs
/// that once crashed or that reach deep code) and a few thousand deterministic mutations, within a time budget of
/// ~2 s per target. A crash is any exception other than the parser's clear errors; the failing input is printed
/// (base64) so it can be added to the corpus as a regression case.
/// </summary>
[TestFixture]
[NonParallelizable]
public sealed class FuzzSmokeTests
{
    private const int MaxExecutions = 20_000;
    private static readonly TimeSpan Budget = TimeSpan.FromSeconds(2);

    public static IEnumerable<FuzzTarget> Targets => FuzzTargets.All;

    private static IReadOnlyList<byte[]> Corpus(FuzzTarget target)
    {
        var directory = Path.Combine(Support.SwarmScripts.RepositoryRoot, "fuzz", "corpus", target.Name.Replace(' ', '-'));
        var committed = Directory.Exists(directory) ? Directory.GetFiles(directory).Order(StringComparer.Ordinal).Select(File.ReadAllBytes) : [];
        return [.. target.Seeds, .. committed];
    }

    [TestCaseSource(nameof(Targets)), CancelAfter(30_000)]
    public void MutatedInputsNeverCrashTheParser(FuzzTarget target)
    {
        var corpus = Corpus(target);
        foreach (var input in corpus)
            RunOne(target, input);
        var random = new Random(target.Name.Length * 7919 + 25);
        var clock = Stopwatch.StartNew();
        var executions = 0;
        var longest = TimeSpan.Zero;
        while (executions < MaxExecutions && clock.Elapsed < Budget)
        {
            var input = Mutator.Mutate(corpus[random.Next(corpus.Count)], corpus, random);
            var started = clock.Elapsed;
            RunOne(target, input);
            var took = clock.Elapsed - started;
            if (took > longest)
                longest = took;
            executions++;
        }
        TestContext.Out.WriteLine($"{target.Name}: {executions} executions in {clock.Elapsed.TotalSeconds:F1} s, {corpus.Count} corpus inputs, slowest {longest.TotalMilliseconds:F1} ms, 0 crashes");
        Assert.That(longest, Is.LessThan(TimeSpan.FromMilliseconds(500)), "no input may make a parser hang");
    }

    private static void RunOne(FuzzTarget target, byte[] input)
    {
        try
        {
            target.Run(input);
        }
        catch (Exception error)
        {
            Assert.Fail($"{target.Name} crashed with {error.GetType().Name}: {error.Message}\ninput (base64): {Convert.ToBase64String(input)}\n{error}");
        }
    }

    /// <summary>Regression: the first crash the smoke found (InvalidOperationException from Utf8JsonReader on a string that is not UTF-8).</summary>
    [Test]
    public void NativeLineWithAnInvalidUtf8StringIsRejectedNotThrown()
    {
        var line = new System.Buffers.ReadOnlySequence<byte>([.. "{\"type\":\""u8.ToArray(), 0xff, 0xfe, .. "\"}"u8.ToArray()]);

        var outcome = P2PShare.Protocol.Native.NativeMessageReader.TryParse(line, P2PShare.Protocol.Native.NativeCodecLimits.Default, out var message, out var error);

        Assert.That(outcome, Is.EqualTo(P2PShare.Protocol.Native.NativeParseOutcome.Invalid));
        Assert.That(message, Is.Null);
        Assert.That(error, Does.Contain("invalid JSON"));
    }
}
