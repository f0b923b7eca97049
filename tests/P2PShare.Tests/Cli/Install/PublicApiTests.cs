using P2PShare.Hosting;
using P2PShare.Tests.Support;

namespace P2PShare.Tests.Cli.Install;

/// <summary>
/// The public types of P2PShare.Core (the library package) are exactly those listed in docs/library-public-types.txt:
/// a type that becomes public, or stops being public, must be a deliberate change to that list. The curated entry point
/// is TorrentClient and the types its members name (docs/library.md says why each one is public).
/// </summary>
[TestFixture]
public sealed class PublicApiTests
{
    private static string ListPath => Path.Combine(SwarmScripts.RepositoryRoot, "docs", "library-public-types.txt");

    [Test]
    public void The_public_types_of_the_library_are_the_listed_ones()
    {
        var actual = typeof(TorrentClient).Assembly.GetExportedTypes().Select(t => t.FullName!).Order(StringComparer.Ordinal).ToList();
        var listed = File.ReadAllLines(ListPath).Select(l => l.Trim()).Where(l => l.Length > 0 && !l.StartsWith('#')).ToList();
        TestContext.Out.WriteLine($"P2PShare.Core: {actual.Count} public types ({listed.Count} listed)");

        var unlisted = actual.Except(listed, StringComparer.Ordinal).ToList();
        var gone = listed.Except(actual, StringComparer.Ordinal).ToList();
        foreach (var type in unlisted)
            TestContext.Out.WriteLine($"public, not listed: {type}");
        foreach (var type in gone)
            TestContext.Out.WriteLine($"listed, not public: {type}");
        Assert.Multiple(() =>
        {
            Assert.That(unlisted, Is.Empty, $"public but not in {ListPath}: make them internal, or list them");
            Assert.That(gone, Is.Empty, $"listed in {ListPath} but not public (any more): remove them from the list");
        });
    }

    [Test]
    public void The_entry_point_and_its_option_and_event_types_are_public()
    {
        foreach (var type in new[] { typeof(TorrentClient), typeof(TorrentHandle), typeof(TorrentAddOptions), typeof(DownloadCompletion), typeof(P2PShare.Engine.EngineSettings) })
            Assert.That(type.IsPublic, Is.True, type.Name);
    }
}
