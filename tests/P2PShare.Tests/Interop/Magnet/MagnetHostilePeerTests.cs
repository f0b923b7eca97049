using System.Net;
using P2PShare.Tests.Interop.Download;
using P2PShare.Tests.Support;

namespace P2PShare.Tests.Interop.Magnet;

/// <summary>
/// The metadata phase next to a hostile peer (<see cref="MisbehavingSeeder"/>): its bad metadata or absurd
/// metadata_size is refused, and the metadata then comes from an honest libtorrent seeder. The honest seeder
/// is started only once the hostile peer has been dealt with, so each run proves the refusal, not a race.
/// </summary>
[TestFixture]
[Category("Interop")]
[CancelAfter(120_000)]
public sealed class MagnetHostilePeerTests
{
    [Test]
    public async Task MetadataThatFailsTheInfoHash_PeerIsBanned_MetadataComesFromTheHonestSeeder(CancellationToken cancellationToken)
    {
        await using var run = await HostileRun.StartAsync(SeederMisbehaviour.WrongMetadata, seed: 95, cancellationToken);
        await run.WaitForLogAsync("failed its hash check", cancellationToken);
        await run.CompleteWithHonestSeederAsync(cancellationToken);

        var log = run.Client.ReadLog();
        Assert.That(log, Does.Contain($"Banning {run.Bad.EndPoint}").And.Contain("Metadata complete"), run.Describe());
        Assert.That(run.Bad.Connections.Sum(c => c.MetadataRequestsReceived), Is.GreaterThan(0), "the hostile peer was never asked: the test proves nothing. " + run.Describe());
    }

    [Test]
    public async Task AbsurdMetadataSize_IsRefusedWithoutAllocating_DownloadCompletes(CancellationToken cancellationToken)
    {
        await using var run = await HostileRun.StartAsync(SeederMisbehaviour.AbsurdMetadataSize, seed: 96, cancellationToken);
        await run.WaitForLogAsync("Refused metadata from", cancellationToken);
        await run.CompleteWithHonestSeederAsync(cancellationToken);

        Assert.That(run.Client.ReadLog(), Does.Contain("metadata_size 1099511627776"), run.Describe());
        Assert.That(run.Bad.Connections.Sum(c => c.MetadataRequestsReceived), Is.Zero, "a peer with an absurd metadata_size must not be asked. " + run.Describe());
    }

    [Test]
    public async Task HaveOutOfRangeSentBeforeTheMetadata_EndsThatPeerOnly_DownloadCompletes(CancellationToken cancellationToken)
    {
        // The hostile peer gives the real metadata, so its connection (and the HAVE kept from the metadata phase) is
        // carried over into the data phase, where the index can at last be checked.
        await using var run = await HostileRun.StartAsync(SeederMisbehaviour.OutOfRangeHaveBeforeMetadata, seed: 97, cancellationToken);
        await run.WaitForLogAsync("1 connections go on into the data phase", cancellationToken);
        await Eventually.UntilAsync(() => run.Bad.Connections.Any(c => c.MetadataRequestsReceived > 0 && c.ClosedByRemote),
            TimeSpan.FromSeconds(30), "the client to close the connection that sent the bad HAVE", run.Describe, cancellationToken: cancellationToken);
        await run.CompleteWithHonestSeederAsync(cancellationToken);

        var log = run.Client.ReadLog();
        Assert.That(log, Does.Contain("Metadata complete"), run.Describe());
        Assert.That(run.Bad.Connections.Sum(c => c.MetadataRequestsReceived), Is.GreaterThan(0), "the metadata came from elsewhere: the test proves nothing. " + run.Describe());
    }

    [Test]
    public async Task MetadataRequestsNeverAnswered_PeerIsLetGo_DownloadCompletes(CancellationToken cancellationToken)
    {
        // Without a drop it would hold its slot and count as a source for as long as it stays connected.
        await using var run = await HostileRun.StartAsync(SeederMisbehaviour.NeverAnswerMetadata, seed: 98, cancellationToken);
        await Eventually.UntilAsync(() => run.Bad.Connections.Any(c => c.MetadataRequestsReceived > 0 && c.ClosedByRemote),
            TimeSpan.FromSeconds(45), "the client to let go of the peer that never answers", run.Describe, cancellationToken: cancellationToken);
        await run.CompleteWithHonestSeederAsync(cancellationToken);
    }

    private sealed class HostileRun : IAsyncDisposable
    {
        private HostileRun(TempDirectory temp, MagnetScenario scenario, MisbehavingSeeder bad, P2PShareClient client, string output, int port)
        {
            Temp = temp;
            Scenario = scenario;
            Bad = bad;
            Client = client;
            Output = output;
            Port = port;
        }

        public TempDirectory Temp { get; }

        public MagnetScenario Scenario { get; }

        public MisbehavingSeeder Bad { get; }

        public P2PShareClient Client { get; }

        public string Output { get; }

        public int Port { get; }

        public LibtorrentPeer? Honest { get; private set; }

        public static async Task<HostileRun> StartAsync(SeederMisbehaviour behaviour, int seed, CancellationToken cancellationToken)
        {
            RequiredTool.EnsureLibtorrent();
            var temp = new TempDirectory($"p2pshare-magnet-{behaviour}-");
            var scenario = await MagnetScenario.CreateAsync(temp, "hostile.bin", 8 * 1024 * 1024 + 17, seed, cancellationToken: cancellationToken);
            // Its own loopback address: the client bans by address.
            var bad = await MisbehavingSeeder.StartAsync(behaviour, scenario.Torrent.TorrentPath, scenario.Source, IPAddress.Parse("127.0.0.2"), cancellationToken);
            var output = temp.CreateSubdirectory("out");
            var client = P2PShareClient.StartDownload(temp.Path, scenario.Magnet(peers: bad.PeerArgument), output, "--no-seed", "--give-up-after", "60");
            var port = await client.WaitUntilListeningAsync(TimeSpan.FromSeconds(30), cancellationToken);
            return new HostileRun(temp, scenario, bad, client, output, port);
        }

        public Task WaitForLogAsync(string text, CancellationToken cancellationToken) =>
            Eventually.UntilAsync(() => Client.ReadLog().Contains(text, StringComparison.Ordinal), TimeSpan.FromSeconds(30),
                $"the client to log '{text}'", Describe, cancellationToken: cancellationToken);

        /// <summary>Starts an honest libtorrent seeder that dials the client, and waits for a verified download.</summary>
        public async Task CompleteWithHonestSeederAsync(CancellationToken cancellationToken)
        {
            Assert.That(Client.HasExited, Is.False, "the client died next to the hostile peer. " + Describe());
            Honest = await LibtorrentPeer.StartSeedAsync(Scenario.Torrent.TorrentPath, Scenario.SeedDirectory,
                o => o with { NoTrackers = true, ConnectTo = [new IPEndPoint(IPAddress.Loopback, Port)] }, cancellationToken);
            await Client.WaitForSuccessAsync(TimeSpan.FromSeconds(90), cancellationToken);
            DownloadCheck.SameContent(Scenario.Source, Output, Client);
        }

        public string Describe() => $"{Client.Describe()}{Environment.NewLine}{Bad.Describe()}";

        public async ValueTask DisposeAsync()
        {
            await Client.DisposeAsync();
            if (Honest is not null)
            {
                await Honest.DisposeAsync();
            }
            await Bad.DisposeAsync();
            Temp.Dispose();
        }
    }
}
