using System.Globalization;
using System.Net;
using System.Text;
using System.Text.RegularExpressions;
using P2PShare.Tests.Support;

namespace P2PShare.Tests.Interop.Seeding;

/// <summary>
/// The common start of a seeding test: random content in DIR/seed/&lt;name&gt;, a torrent of it made by our
/// 'create', and helpers to start our seeder on it and to check what a leecher wrote.
/// </summary>
internal sealed class SeedScenario : IAsyncDisposable
{
    private SeedScenario(TempDirectory temp, string source, P2PShareTorrent torrent)
    {
        Temp = temp;
        Source = source;
        Torrent = torrent;
    }

    public TempDirectory Temp { get; }

    /// <summary>The original content file.</summary>
    public string Source { get; }

    /// <summary>Directory holding the content, as 'seed --data' wants it.</summary>
    public string SeedDirectory => Path.GetDirectoryName(Source)!;

    public P2PShareTorrent Torrent { get; }

    public byte[] InfoHash => Convert.FromHexString(Torrent.InfoHash);

    public long Size => new FileInfo(Source).Length;

    public static async Task<SeedScenario> CreateAsync(string name, long size, int seed, int pieceSizeKiB,
        IEnumerable<string>? trackers = null, CancellationToken cancellationToken = default)
    {
        var temp = new TempDirectory($"p2pshare-seed-{name}-");
        try
        {
            var source = TestData.CreateFile(temp.Combine("seed", $"{name}.bin"), size, seed);
            var torrent = await P2PShareClient.CreateTorrentAsync(source, temp.Combine($"{name}.torrent"), trackers, pieceSizeKiB,
                cancellationToken: cancellationToken);
            return new SeedScenario(temp, source, torrent);
        }
        catch
        {
            temp.Dispose();
            throw;
        }
    }

    /// <summary>Starts 'p2pshare seed' on the content and waits until it listens; returns it and its port.</summary>
    public async Task<(P2PShareClient Seeder, int Port)> StartSeederAsync(CancellationToken cancellationToken, params string[] extraArguments)
    {
        var seeder = P2PShareClient.StartSeed(Temp.Path, Torrent.TorrentPath, SeedDirectory, extraArguments);
        try
        {
            var port = await seeder.WaitUntilListeningAsync(TimeSpan.FromSeconds(30), cancellationToken);
            return (seeder, port);
        }
        catch
        {
            await seeder.DisposeAsync();
            throw;
        }
    }

    /// <summary>Asserts DIR/&lt;name&gt; written by a leecher has the original's SHA-256.</summary>
    public void AssertSameContent(string leecherDirectory, string leecherName, Func<string> diagnostics)
    {
        var downloaded = Path.Combine(leecherDirectory, Path.GetFileName(Source));
        Assert.That(File.Exists(downloaded), Is.True, () => $"{leecherName} wrote nothing at {downloaded}.{Environment.NewLine}{diagnostics()}");
        Assert.That(TestData.Sha256File(downloaded), Is.EqualTo(TestData.Sha256File(Source)),
            () => $"{leecherName}'s copy differs from the original (SHA-256).{Environment.NewLine}{diagnostics()}");
    }

    public static IPEndPoint Loopback(int port) => new(IPAddress.Loopback, port);


    public ValueTask DisposeAsync() => Temp.DisposeAsync();
}
