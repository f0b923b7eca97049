using System.Globalization;
using System.Security.Cryptography;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using P2PShare.Tests.Interop.Seeding;
using P2PShare.Tests.Native;
using P2PShare.Tests.Support;

namespace P2PShare.Tests.Hybrid;

/// <summary>
/// Native peer exchange from the hybrid node: as the accepting side it tells a newcomer about the native peers already
/// connected and them about the newcomer (the protocol's rule), so native leechers of our seeder also share with each other.
/// </summary>
public sealed partial class HybridInteropTests
{
    [Test]
    public async Task The_hybrid_seeder_introduces_each_native_newcomer_to_the_native_peers_already_connected(CancellationToken cancellationToken)
    {
        await using var scenario = await SeedScenario.CreateAsync("hybrid-pex", 512 * 1024, seed: 2204, pieceSizeKiB: 64, cancellationToken: cancellationToken);
        var (seeder, _) = await scenario.StartSeederAsync(cancellationToken, "--native-port", "0");
        await using var _seeder = seeder;
        var nativePort = await WaitForNativePortAsync(seeder, cancellationToken);

        await using var first = await FakeNativePeer.ConnectAsync(nativePort);
        await first.SendAsync(FakeNativePeer.Handshake("1111111111111111", "x.bin", null, null, port: 40001));
        Assert.That(await first.ReadTypeAsync("bitfield"), Is.Not.Null, "the seeder offers its pieces to the first peer");
        await using var silent = await FakeNativePeer.ConnectAsync(nativePort);
        await silent.SendAsync(FakeNativePeer.Handshake("3333333333333333", "x.bin", null, null, port: 0));
        Assert.That(await silent.ReadTypeAsync("bitfield"), Is.Not.Null, "the seeder offers its pieces to a peer that does not listen");
        await using var second = await FakeNativePeer.ConnectAsync(nativePort);
        await second.SendAsync(FakeNativePeer.Handshake("2222222222222222", "x.bin", null, null, port: 40002));

        var toSecond = await second.ReadTypeAsync("peers");
        Assert.That(toSecond, Is.Not.Null, () => "the newcomer must hear of the peers already connected: " + seeder.Describe());
        Assert.That(Entries(toSecond!), Is.EqualTo(new[] { ("1111111111111111", 40001) }),
            "the newcomer hears of the listening peer with its advertised port, not of the one without a port");
        Assert.That((string?)toSecond!["peers"]![0]!["host"], Does.EndWith("127.0.0.1"), "host is the socket's remote address");
        var toFirst = await first.ReadTypeAsync("peers");
        Assert.That(toFirst, Is.Not.Null, "a peer already connected must hear of the newcomer");
        Assert.That(Entries(toFirst!), Is.EqualTo(new[] { ("2222222222222222", 40002) }));
    }

    [Test]
    public async Task A_native_leecher_joining_later_fetches_from_an_earlier_one_that_it_learnt_of_from_our_seeder(CancellationToken cancellationToken)
    {
        RequiredTool.EnsureLibtorrent();
        // Our upload is capped, so the later leecher fetches much of the file from the earlier one once it knows of it.
        await using var scenario = await SeedScenario.CreateAsync("hybrid-pex-ref", 1024 * 1024 + 999, seed: 2205, pieceSizeKiB: 64, cancellationToken: cancellationToken);
        var (seeder, _) = await scenario.StartSeederAsync(cancellationToken, "--native-port", "0", "--max-upload-rate", "512K");
        await using var _seeder = seeder;
        var nativePort = await WaitForNativePortAsync(seeder, cancellationToken);
        var expected = Convert.ToHexStringLower(SHA1.HashData(File.ReadAllBytes(scenario.Source)));

        var firstCopy = scenario.Temp.Combine("native-a", Path.GetFileName(scenario.Source));
        Directory.CreateDirectory(Path.GetDirectoryName(firstCopy)!);
        await using var first = StartReferenceNode(firstCopy, nativePort);
        await Eventually.UntilAsync(() => first.StdoutTail.Contains("complete " + expected), Deadline,
            "the first reference leecher to complete", () => first.Describe() + seeder.Describe(), cancellationToken: cancellationToken);
        Assert.That(ServedCount(first), Is.Zero, "nobody else was there to serve");

        var secondCopy = scenario.Temp.Combine("native-b", Path.GetFileName(scenario.Source));
        Directory.CreateDirectory(Path.GetDirectoryName(secondCopy)!);
        await using var second = StartReferenceNode(secondCopy, nativePort);
        await Eventually.UntilAsync(() => second.StdoutTail.Contains("complete " + expected), Deadline,
            "the second reference leecher to complete", () => second.Describe() + first.Describe() + seeder.Describe(), cancellationToken: cancellationToken);

        Assert.That(TestData.Sha256File(secondCopy), Is.EqualTo(TestData.Sha256File(scenario.Source)));
        var servedByFirst = ServedCount(first);
        Assert.That(servedByFirst, Is.GreaterThan(0),
            () => "the second leecher knew only our seeder's address: it can have fetched from the first only after our seeder named it. " + first.Describe());
        TestContext.Out.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"{scenario.Size} bytes ({(scenario.Size + 65535) / 65536} native pieces): the earlier leecher served {servedByFirst} of them to the later one"));
    }

    private static int ServedCount(ExternalProcess reference) =>
        Regex.Matches(reference.StdoutTail, @"^served \d+", RegexOptions.Multiline).Count;

    private static (string Id, int Port)[] Entries(JsonObject peers) =>
        [.. peers["peers"]!.AsArray().Select(p => ((string)p!["id"]!, (int)p["port"]!))];
}
