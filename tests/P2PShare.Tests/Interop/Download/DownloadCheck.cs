using P2PShare.Tests.Support;

namespace P2PShare.Tests.Interop.Download;

/// <summary>The end of every download test: the downloaded content is byte for byte the original.</summary>
internal static class DownloadCheck
{
    /// <summary>Compares SHA-256 of <paramref name="original"/> (file or tree) with DIR/&lt;name&gt; written by the client.</summary>
    public static void SameContent(string original, string outputDirectory, P2PShareClient client)
    {
        var downloaded = Path.Combine(outputDirectory, Path.GetFileName(original));
        Assert.That(File.Exists(downloaded) || Directory.Exists(downloaded), Is.True,
            () => $"nothing at {downloaded}.{Environment.NewLine}{client.Describe()}");
        Assert.That(TestData.Sha256Tree(downloaded), Is.EqualTo(TestData.Sha256Tree(original)),
            () => $"{downloaded} differs from {original}.{Environment.NewLine}{client.Describe()}");
    }
}
