using P2PShare.Tests.Support;

namespace P2PShare.Tests.Interop.Seeding;

/// <summary>'seed' on incomplete data: refused with one clear line unless --partial, which seeds the pieces that are there.</summary>
[TestFixture]
[Category("Interop")]
[CancelAfter(90_000)]
public sealed class SeedCommandTests
{
    private const int PieceSizeKiB = 64;
    private const int PieceSize = PieceSizeKiB * 1024;
    private const long ContentSize = 40 * PieceSize + 1234;
    private const int PieceCount = 41;
    // Truncating here keeps pieces 0..14 whole; 15 and after are missing.
    private const int KeptPieces = 15;

    [Test]
    public async Task SeedRefusesIncompleteDataWithOneLineAndNonZeroExit(CancellationToken cancellationToken)
    {
        await using var scenario = await SeedScenario.CreateAsync("incomplete", ContentSize, seed: 81, PieceSizeKiB, cancellationToken: cancellationToken);
        Truncate(scenario.Source, KeptPieces * PieceSize + 500);

        await using var seeder = P2PShareClient.StartSeed(scenario.Temp.Path, scenario.Torrent.TorrentPath, scenario.SeedDirectory);
        var exit = await seeder.WaitForExitAsync(TimeSpan.FromSeconds(30), cancellationToken);

        Assert.That(exit, Is.Not.Zero, () => $"seed on incomplete data must fail.{Environment.NewLine}{seeder.Describe()}");
        var errorLines = seeder.Process.StderrTail.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        Assert.That(errorLines, Has.Length.EqualTo(1), () => $"exactly one line on stderr.{Environment.NewLine}{seeder.Describe()}");
        Assert.That(errorLines[0], Does.StartWith("p2pshare: error:").And.Contain("missing").And.Contain("--partial")
            .And.Contain($"{PieceCount - KeptPieces} of {PieceCount}"));
    }

    [Test]
    public async Task SeedPartialAnnouncesAndServesExactlyThePiecesThatAreThere(CancellationToken cancellationToken)
    {
        await using var scenario = await SeedScenario.CreateAsync("partial", ContentSize, seed: 82, PieceSizeKiB, cancellationToken: cancellationToken);
        Truncate(scenario.Source, KeptPieces * PieceSize + 500);
        var (seeder, port) = await scenario.StartSeederAsync(cancellationToken, "--partial");
        await using var _s = seeder;

        await using var probe = await MisbehavingLeecher.ConnectAsync(SeedScenario.Loopback(port), scenario.InfoHash, TimeSpan.FromSeconds(10),
            cancellationToken);
        probe.StartReading();
        await Eventually.UntilAsync(() => probe.RemoteBitfield is not null, TimeSpan.FromSeconds(10), "the seeder's bitfield", seeder.Describe,
            cancellationToken: cancellationToken);
        var expected = new byte[(PieceCount + 7) / 8];
        for (var i = 0; i < KeptPieces; i++)
            expected[i / 8] |= (byte)(0x80 >> (i % 8));
        Assert.That(probe.RemoteBitfield, Is.EqualTo(expected), "the bitfield must list exactly the whole pieces on disk");

        await probe.SendInterestedAsync(cancellationToken);
        Assert.That(await probe.WaitUntilUnchokedAsync(TimeSpan.FromSeconds(15), cancellationToken), Is.True, seeder.Describe);
        var lastKept = KeptPieces - 1;
        await probe.SendRequestAsync(lastKept, PieceSize - MisbehavingLeecher.BlockLength, MisbehavingLeecher.BlockLength, cancellationToken);
        // A piece it does not have is not served (the request is ignored, not an error).
        await probe.SendRequestAsync(KeptPieces, 0, MisbehavingLeecher.BlockLength, cancellationToken);
        await probe.SendRequestAsync(0, 0, MisbehavingLeecher.BlockLength, cancellationToken);
        await Eventually.UntilAsync(() => probe.BlocksReceived >= 2, TimeSpan.FromSeconds(10), "two blocks of pieces on disk", seeder.Describe,
            cancellationToken: cancellationToken);

        var blocks = probe.Blocks;
        Assert.That(blocks.Select(b => b.Index), Is.EquivalentTo(new[] { lastKept, 0 }), "only pieces that are there are served");
        foreach (var block in blocks)
        {
            Assert.That(block.Data, Is.EqualTo(ReadSource(scenario.Source, (long)block.Index * PieceSize + block.Begin, block.Data.Length)),
                $"block {block.Index}:{block.Begin} must hold the content's bytes");
        }
        Assert.That(probe.IsClosed, Is.False, "asking for a missing piece is not a reason to disconnect");
    }

    private static void Truncate(string path, long length)
    {
        using var stream = new FileStream(path, FileMode.Open, FileAccess.Write);
        stream.SetLength(length);
    }

    internal static byte[] ReadSource(string path, long offset, int count)
    {
        using var stream = File.OpenRead(path);
        stream.Position = offset;
        var bytes = new byte[count];
        stream.ReadExactly(bytes);
        return bytes;
    }
}
