using P2PShare.Networking.Native;
using static P2PShare.Tests.Native.NativeTestSupport;
using P2PShare.Tests.Support;

namespace P2PShare.Tests.Native;

public class NativeSwarmTests
{
    private string _directory = null!;

    [SetUp]
    public void SetUp() => _directory = NewTempDirectory();

    [TearDown]
    public void TearDown() => DeleteDirectory(_directory);

    [Test]
    public async Task Seeder_and_two_leechers_where_the_second_learns_the_first_by_exchange_and_fetches_from_it()
    {
        var source = Path.Combine(_directory, "source.bin");
        var data = WriteRandomFile(source, 64 * 65536 + 1234, seed: 1);
        // A slow seeder makes the first leecher the better source of the pieces it already has.
        await using var seeder = await StartAsync(Options(source) with { UploadDelayPerPiece = TimeSpan.FromMilliseconds(25) });
        var first = Path.Combine(_directory, "first.bin");
        await using var leecher1 = await StartAsync(Options(first, seeder.ListenPort));
        await WaitUntilAsync(() => leecher1.GetProgress().PiecesHave >= 30, "the first leecher to get 30 pieces");

        var second = Path.Combine(_directory, "second.bin");
        await using var leecher2 = await StartAsync(Options(second, seeder.ListenPort));
        await WaitAsync(leecher1.Completion, "the first leecher to complete");
        await WaitAsync(leecher2.Completion, "the second leecher to complete");

        Assert.That(File.ReadAllBytes(first), SameBytes.As(data));
        Assert.That(File.ReadAllBytes(second), SameBytes.As(data));
        Assert.That(leecher2.ConnectedPeerIds(), Does.Contain(leecher1.Id), "the leechers found each other by peer exchange");
        Assert.That(leecher2.PiecesReceivedFrom(leecher1.Id), Is.GreaterThan(0), "the second leecher fetched pieces from the first");
        Assert.That(File.Exists(leecher1.ResumeFilePath) || File.Exists(leecher2.ResumeFilePath), Is.False, "complete files carry no resume bitmap");
    }

    [Test]
    public async Task A_leecher_keeps_seeding_after_completing()
    {
        var source = Path.Combine(_directory, "source.bin");
        var data = WriteRandomFile(source, 3 * 65536, seed: 2);
        var middle = Path.Combine(_directory, "middle.bin");
        var last = Path.Combine(_directory, "last.bin");
        await using (var seeder = await StartAsync(Options(source)))
        {
            await using var leecher = await StartAsync(Options(middle, seeder.ListenPort));
            await WaitAsync(leecher.Completion, "the download");
        }
        // The original seeder is gone; the node restarted on the completed file seeds it.
        await using var reseeder = await StartAsync(Options(middle));
        Assert.That(reseeder.Completion.IsCompletedSuccessfully, Is.True);
        await using var late = await StartAsync(Options(last, reseeder.ListenPort));
        await WaitAsync(late.Completion, "the download from the former leecher");
        Assert.That(File.ReadAllBytes(last), SameBytes.As(data));
    }

    [Test]
    public async Task Small_and_empty_files_use_one_piece_or_none()
    {
        foreach (var size in new[] { 1, 1000 })
        {
            var source = Path.Combine(_directory, $"s{size}.bin");
            var data = WriteRandomFile(source, size, seed: size);
            await using var seeder = await StartAsync(Options(source));
            var target = Path.Combine(_directory, $"t{size}.bin");
            await using var leecher = await StartAsync(Options(target, seeder.ListenPort));
            await WaitAsync(leecher.Completion, $"download of {size} bytes");
            Assert.That(File.ReadAllBytes(target), SameBytes.As(data));
        }
    }

    [Test]
    public async Task Tls_and_secret_protect_a_private_swarm()
    {
        var source = Path.Combine(_directory, "source.bin");
        var data = WriteRandomFile(source, 5 * 65536, seed: 3);
        using var seederSecurity = NativeSecurity.Create(useTls: true, "open sesame");
        using var goodSecurity = NativeSecurity.Create(useTls: true, "open sesame");
        using var badSecurity = NativeSecurity.Create(useTls: true, "wrong");
        await using var seeder = await StartAsync(Options(source), seederSecurity);
        var good = Path.Combine(_directory, "good.bin");
        var bad = Path.Combine(_directory, "bad.bin");
        var plain = Path.Combine(_directory, "plain.bin");
        await using var badLeecher = await StartAsync(Options(bad, seeder.ListenPort), badSecurity);
        await using var plainLeecher = await StartAsync(Options(plain, seeder.ListenPort));
        await using var goodLeecher = await StartAsync(Options(good, seeder.ListenPort), goodSecurity);
        await WaitAsync(goodLeecher.Completion, "the download with the right secret");
        Assert.That(File.ReadAllBytes(good), SameBytes.As(data));
        Assert.That(seeder.ConnectedPeerIds(), Is.EqualTo(new[] { goodLeecher.Id }));
        Assert.That(badLeecher.GetProgress().FileKnown, Is.False, "a wrong secret learns nothing");
        Assert.That(plainLeecher.GetProgress().FileKnown, Is.False, "no secret learns nothing");
        Assert.That(File.Exists(bad) || File.Exists(plain), Is.False);
    }
}
