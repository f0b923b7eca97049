using System.Xml.Linq;
using P2PShare.Engine;
using P2PShare.Tests.Support;

namespace P2PShare.Tests.Cli.Install;

/// <summary>The library (P2PShare.Core) needs only ILogger: no Generic Host, no Serilog, in its project or its assembly.</summary>
[TestFixture]
public sealed class LibraryPackageTests
{
    [Test]
    public void The_library_references_only_the_logging_abstractions_and_polly()
    {
        var project = XDocument.Load(Path.Combine(SwarmScripts.RepositoryRoot, "src", "P2PShare", "P2PShare.csproj"));
        var packages = project.Descendants("PackageReference").Select(p => p.Attribute("Include")!.Value).ToList();
        Assert.That(packages, Is.EquivalentTo(new[] { "Polly.Core", "Microsoft.Extensions.Logging.Abstractions" }));

        var assemblies = typeof(ClientEngine).Assembly.GetReferencedAssemblies().Select(a => a.Name!).ToList();
        Assert.That(assemblies, Has.None.StartsWith("Serilog").And.None.StartsWith("Microsoft.Extensions.Hosting"));
    }
}
