using FsCheck;
using FsCheck.Fluent;
using P2PShare.Fuzz;

namespace P2PShare.Tests.Hardening.Properties;

/// <summary>
/// FsCheck: every parser of outside bytes (the fuzz targets, <see cref="FuzzParsers"/>) either accepts arbitrary bytes or
/// refuses them with its documented exception: random bytes, and random bytes spliced into a valid seed from
/// fuzz/corpus so the parser gets past its first checks.
/// </summary>
[TestFixture]
public sealed class ArbitraryBytesProperties
{
    public static IEnumerable<string> Parsers => FuzzParsers.All.Select(parser => parser.Name);

    [TestCaseSource(nameof(Parsers))]
    public void DecodeThrowsNothingButTheDocumentedError(string name)
    {
        var parser = FuzzParsers.Find(name)!;
        var seeds = Seeds(parser);
        var spliced = Generators.Zip(Gen.Elements(seeds), Gen.Choose(0, int.MaxValue), Generators.Bytes(24)).Select(f =>
        {
            var (seed, at, junk) = f;
            var cut = seed.Length == 0 ? 0 : at % seed.Length;
            return (byte[])[.. seed.AsSpan(0, cut), .. junk, .. seed.AsSpan(Math.Min(seed.Length, cut + junk.Length))];
        });
        PropertyCheck.ForAll(Gen.OneOf(Generators.Bytes(512), spliced), input =>
        {
            parser.Run(input);
            return true;
        }, tests: 400);
    }

    private static byte[][] Seeds(FuzzParser parser)
    {
        var directory = Path.Combine(Support.SwarmScripts.RepositoryRoot, "fuzz", "corpus", parser.Name);
        Assert.That(Directory.Exists(directory), $"fuzz/corpus/{parser.Name} is missing");
        return [.. Directory.GetFiles(directory).Order(StringComparer.Ordinal).Select(File.ReadAllBytes)];
    }
}
