using P2PShare.Tests.Support;

namespace P2PShare.Tests.Interop.Seeding;

/// <summary>
/// While our seeder serves a good libtorrent leecher, a raw-socket peer asks for blocks outside the torrent
/// or floods requests: our seeder must drop that peer, and the good leecher must still get every byte.
/// </summary>
[TestFixture]
[Category("Interop")]
[CancelAfter(90_000)]
public sealed class MisbehavingLeecherTests
{
    private const int PieceSizeKiB = 256;
    private const int PieceSize = PieceSizeKiB * 1024;
    private const long ContentSize = 24L * 1024 * 1024 + 1000;
    // Far more distinct requests than the seeder lets one peer queue (PeerSession.MaxPendingUploads = 2048)
    // plus what the loopback socket buffers can absorb.
    private const int FloodRequests = 8000;

    public enum Misbehaviour
    {
        PieceIndexPastTheEnd,
        BlockPastTheEndOfItsPiece,
        BlockLongerThan16KiB,
        RequestFlood,
        RequestAndCancelWithoutReading,
    }

    [TestCase(Misbehaviour.PieceIndexPastTheEnd)]
    [TestCase(Misbehaviour.BlockPastTheEndOfItsPiece)]
    [TestCase(Misbehaviour.BlockLongerThan16KiB)]
    [TestCase(Misbehaviour.RequestFlood)]
    [TestCase(Misbehaviour.RequestAndCancelWithoutReading)]
    public async Task SeederDropsTheBadPeerAndKeepsServingTheGoodOne(Misbehaviour misbehaviour, CancellationToken cancellationToken)
    {
        RequiredTool.EnsureLibtorrent();
        await using var scenario = await SeedScenario.CreateAsync($"bad-{misbehaviour}", ContentSize, seed: 70 + (int)misbehaviour,
            PieceSizeKiB, cancellationToken: cancellationToken);
        var pieceCount = (int)((ContentSize + PieceSize - 1) / PieceSize);
        var (seeder, port) = await scenario.StartSeederAsync(cancellationToken, "--verbose");
        await using var _s = seeder;

        // The good leecher is held to 3 MB/s so it is mid-download while the bad peer acts.
        var output = scenario.Temp.CreateSubdirectory("good-out");
        await using var good = await LibtorrentPeer.StartAsync(new LibtorrentPeerOptions(scenario.Torrent.TorrentPath, output)
        {
            Mode = LibtorrentMode.Leech,
            NoTrackers = true,
            ConnectTo = [SeedScenario.Loopback(port)],
            DownloadLimit = 3_000_000,
        }, cancellationToken);
        await good.WaitForStatusAsync(s => s.TotalPayloadDownload > 0, TimeSpan.FromSeconds(20), "the good leecher to start receiving data",
            cancellationToken);

        Assert.That(good.LatestStatus?.Progress ?? 0, Is.LessThan(0.5), "the good leecher must be mid-download while the bad peer acts");

        await using var bad = await MisbehavingLeecher.ConnectAsync(SeedScenario.Loopback(port), scenario.InfoHash, TimeSpan.FromSeconds(10),
            cancellationToken);
        await bad.SendEmptyBitfieldAsync(pieceCount, cancellationToken);
        await bad.SendInterestedAsync(cancellationToken);
        string expectedReason;
        if (misbehaviour == Misbehaviour.RequestFlood)
        {
            // 8,000 distinct requests (16 KiB blocks at every byte offset of piece 0: legal, each a different block)
            // in one burst, without reading. The seeder cannot send faster than we read, and the socket buffers
            // hold only some hundreds of blocks, so its queue for us passes its limit (2,048) whatever the timing.
            // The seeder unchokes an interested peer at once when it has a free slot and handles our messages
            // in order, so these requests arrive after the unchoke.
            var burst = new List<byte>(FloodRequests * 17);
            for (var begin = 0; begin < FloodRequests; begin++)
                burst.AddRange(MisbehavingLeecher.RequestBytes(0, begin, MisbehavingLeecher.BlockLength));
            await bad.SendRawAsync(burst.ToArray(), cancellationToken);
            expectedReason = "flood";
        }
        else if (misbehaviour == Misbehaviour.RequestAndCancelWithoutReading)
        {
            // Nothing is read. 1,500 live requests (under the 2,048 limit; they arrive after the unchoke, as above)
            // fill the socket buffers, so the seeder's send loop stalls; then 30,000 request + cancel pairs for one
            // block, each legal, each leaving a cancelled block behind in the stalled send queue. The queue must not
            // grow without bound: the peer is dropped.
            var live = new List<byte>(1500 * 17);
            for (var begin = 0; begin < 1500; begin++)
                live.AddRange(MisbehavingLeecher.RequestBytes(0, begin, MisbehavingLeecher.BlockLength));
            await bad.SendRawAsync(live.ToArray(), cancellationToken);
            var pair = MisbehavingLeecher.RequestBytes(1, 0, MisbehavingLeecher.BlockLength)
                .Concat(RawPeerWire.BlockMessage(RawPeerWire.Cancel, 1, 0, MisbehavingLeecher.BlockLength)).ToArray();
            var pairs = new byte[30_000 * pair.Length];
            for (var i = 0; i < 30_000; i++)
                pair.CopyTo(pairs, i * pair.Length);
            await bad.SendRawAsync(pairs, cancellationToken);
            expectedReason = "does not read what it asks for";
        }
        else
        {
            // Control: a valid request is served with the right bytes, so the drop below is for the bad request.
            Assert.That(await bad.WaitUntilUnchokedAsync(TimeSpan.FromSeconds(15), cancellationToken), Is.True,
                () => $"the seeder never unchoked the raw peer (closed: {bad.IsClosed}).{Environment.NewLine}{seeder.Describe()}");
            await bad.SendRequestAsync(1, MisbehavingLeecher.BlockLength, MisbehavingLeecher.BlockLength, cancellationToken);
            await Eventually.UntilAsync(() => bad.BlocksReceived >= 1, TimeSpan.FromSeconds(10), "the valid request to be answered", seeder.Describe,
                cancellationToken: cancellationToken);
            var block = bad.Blocks[0];
            Assert.That((block.Index, block.Begin), Is.EqualTo((1, MisbehavingLeecher.BlockLength)));
            Assert.That(block.Data, Is.EqualTo(ReadSource(scenario.Source, PieceSize + MisbehavingLeecher.BlockLength, MisbehavingLeecher.BlockLength)),
                "the served block must hold the content's bytes");

            var lastPieceSize = (int)(ContentSize - (long)(pieceCount - 1) * PieceSize);
            var (index, begin, length) = misbehaviour switch
            {
                Misbehaviour.PieceIndexPastTheEnd => (pieceCount, 0, MisbehavingLeecher.BlockLength),
                // The last piece is short: a block that starts inside it but runs past its end.
                Misbehaviour.BlockPastTheEndOfItsPiece => (pieceCount - 1, lastPieceSize - 100, MisbehavingLeecher.BlockLength),
                _ => (0, 0, 128 * 1024),
            };
            await bad.SendRequestAsync(index, begin, length, cancellationToken);
            expectedReason = "out of range";
        }

        Assert.That(await bad.WaitForDisconnectAsync(TimeSpan.FromSeconds(15), cancellationToken), Is.True,
            () => $"the seeder kept the misbehaving peer connected ({misbehaviour}).{Environment.NewLine}{seeder.Describe()}");
        await Eventually.UntilAsync(() => seeder.ReadLog().Contains(expectedReason, StringComparison.Ordinal), TimeSpan.FromSeconds(5),
            $"the seeder's log to give the reason '{expectedReason}'", seeder.Describe, cancellationToken: cancellationToken);

        await good.SetDownloadLimitAsync(0, cancellationToken);
        var done = await good.WaitForExitAsync(TimeSpan.FromSeconds(45), cancellationToken);
        Assert.That(done.TotalPayloadDownload, Is.GreaterThanOrEqualTo(ContentSize));
        scenario.AssertSameContent(output, "the good libtorrent leecher", () => good.Process.Describe() + Environment.NewLine + seeder.Describe());
        Assert.That(seeder.HasExited, Is.False, () => $"the seeder must survive the bad peer.{Environment.NewLine}{seeder.Describe()}");
    }

    /// <summary>
    /// Not misbehaviour: aria2 sends a whole bitfield mid-connection (after interested and haves) instead of a
    /// run of haves. The seeder must take it, keep the connection and go on serving.
    /// </summary>
    [Test]
    public async Task SeederKeepsAPeerThatSendsItsBitfieldLate(CancellationToken cancellationToken)
    {
        await using var scenario = await SeedScenario.CreateAsync("late-bitfield", 4L * PieceSize + 77, seed: 79, PieceSizeKiB,
            cancellationToken: cancellationToken);
        var (seeder, port) = await scenario.StartSeederAsync(cancellationToken, "--verbose");
        await using var _s = seeder;
        await using var peer = await MisbehavingLeecher.ConnectAsync(SeedScenario.Loopback(port), scenario.InfoHash, TimeSpan.FromSeconds(10),
            cancellationToken);
        await peer.SendInterestedAsync(cancellationToken);
        Assert.That(await peer.WaitUntilUnchokedAsync(TimeSpan.FromSeconds(15), cancellationToken), Is.True, seeder.Describe);
        await peer.SendMessageAsync(4, new byte[] { 0, 0, 0, 2 }, cancellationToken); // have 2
        await peer.SendMessageAsync(5, new byte[] { 0b1010_0000 }, cancellationToken); // bitfield: pieces 0 and 2

        await peer.SendRequestAsync(3, 0, MisbehavingLeecher.BlockLength, cancellationToken);
        await Eventually.UntilAsync(() => peer.BlocksReceived >= 1 || peer.IsClosed, TimeSpan.FromSeconds(10), "the request after the late bitfield to be answered",
            seeder.Describe, cancellationToken: cancellationToken);
        Assert.That(peer.IsClosed, Is.False, () => $"the seeder dropped a peer for a late bitfield.{Environment.NewLine}{seeder.Describe()}");
        Assert.That(peer.Blocks[0].Data, Is.EqualTo(ReadSource(scenario.Source, 3L * PieceSize, MisbehavingLeecher.BlockLength)));
    }

    private static byte[] ReadSource(string path, long offset, int count)
    {
        using var stream = File.OpenRead(path);
        stream.Position = offset;
        var bytes = new byte[count];
        stream.ReadExactly(bytes);
        return bytes;
    }
}
