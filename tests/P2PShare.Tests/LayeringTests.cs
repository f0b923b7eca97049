using System.Text.RegularExpressions;
using P2PShare.Tests.Support;

namespace P2PShare.Tests;

/// <summary>
/// The library's layers, each depending only on those below it (Platform, the libc calls, at the bottom): a source
/// file in one layer's folder may name (by `using` or a qualified name) only its own layer and lower ones. Storage sits above Engine: the engine
/// reaches storage through interfaces it declares itself (IPieceStore, INativeFileStorage).
/// </summary>
[TestFixture]
public sealed partial class LayeringTests
{
    private static readonly string[] LayersBottomUp = ["Platform", "Bencode", "Metainfo", "Protocol", "Networking", "Engine", "Storage", "Hosting"];

    [GeneratedRegex(@"\bP2PShare\.(Platform|Bencode|Metainfo|Protocol|Networking|Engine|Storage|Hosting)\b")]
    private static partial Regex LayerReference();

    [Test]
    public void EveryLibraryFolderIsALayer()
    {
        var folders = Directory.GetDirectories(LibraryRoot).Select(Path.GetFileName)
            .Where(name => name is not ("bin" or "obj"));
        Assert.That(folders, Is.EquivalentTo(LayersBottomUp), "a new top-level folder needs a place in the layer order");
    }

    [TestCaseSource(nameof(LayersBottomUp))]
    public void LayerUsesOnlyItselfAndLowerLayers(string layer)
    {
        var allowed = LayersBottomUp.Take(Array.IndexOf(LayersBottomUp, layer) + 1).ToHashSet();
        var violations = new List<string>();
        foreach (var file in Directory.EnumerateFiles(Path.Combine(LibraryRoot, layer), "*.cs", SearchOption.AllDirectories))
        {
            var lines = File.ReadAllLines(file);
            for (var i = 0; i < lines.Length; i++)
                foreach (Match match in LayerReference().Matches(lines[i]))
                    if (!allowed.Contains(match.Groups[1].Value))
                        violations.Add($"{Path.GetRelativePath(LibraryRoot, file)}:{i + 1} uses {match.Value}");
        }
        Assert.That(violations, Is.Empty, $"{layer} may use only {string.Join(", ", allowed)}");
    }

    private static string LibraryRoot => Path.Combine(SwarmScripts.RepositoryRoot, "src", "P2PShare");
}
