using System.Net;
using FsCheck;
using FsCheck.Fluent;
using P2PShare.Cli.Daemon;
using P2PShare.Fuzz.Targets;
using P2PShare.Metainfo;
using P2PShare.Networking.Dht;
using P2PShare.Protocol;
using P2PShare.Protocol.Dht;
using P2PShare.Storage;

namespace P2PShare.Tests.Hardening.Properties;

/// <summary>
/// FsCheck round trips of the four state files the client reads back from disk (the fuzz targets daemon-settings,
/// daemon-torrents, resume and dht-state): what the client writes reads back as the same state. Arbitrary and spliced
/// bytes for the same readers are in <see cref="ArbitraryBytesProperties"/>.
/// </summary>
[TestFixture]
public sealed class StateFileProperties
{
    private static readonly Gen<string> AbsoluteDirectory =
        Generators.ListOf(Generators.Text(12).Where(part => part.Length > 0 && !part.Contains('/') && part is not "." and not ".."), 4)
            .Select(parts => "/" + string.Join('/', parts));

    private static Gen<DaemonSettings> Settings { get; } =
        from download in AbsoluteDirectory
        from watch in Gen.OneOf(Gen.Constant<string?>(null), AbsoluteDirectory.Select(d => (string?)d))
        from ports in Generators.Zip(Gen.Choose(0, 65535), Gen.Choose(1, 100_000), Gen.Choose(1, 10_000))
        from limits in Generators.Zip(Gen.Choose(0, int.MaxValue), Gen.Choose(0, int.MaxValue), Gen.Choose(0, 100_000), Gen.Choose(0, 100_000))
        from flags in Gen.ArrayOf(Gen.Elements(true, false), 8)
        from encryption in Gen.Elements("prefer", "require", "disable")
        from ratio in Gen.OneOf(Gen.Constant<double?>(null), Gen.Choose(0, 1_000_000).Select(r => (double?)(r / 64.0)), Gen.Elements<double?>(0, 1e300, 5e-324))
        select new DaemonSettings
        {
            DownloadDir = download, WatchDir = watch, Port = ports.Item1, PeerLimitGlobal = ports.Item2, PeerLimitPerTorrent = ports.Item3,
            SpeedLimitDown = limits.Item1, SpeedLimitUp = limits.Item2, DownloadQueueSize = limits.Item3, SeedQueueSize = limits.Item4,
            SpeedLimitDownEnabled = flags[0], SpeedLimitUpEnabled = flags[1], DownloadQueueEnabled = flags[2], SeedQueueEnabled = flags[3],
            StartAddedTorrents = flags[4], DhtEnabled = flags[5], WatchDirEnabled = flags[6], Encryption = encryption, RatioLimit = ratio,
        };

    /// <summary>session-set writes the persisted keys into settings.json (over whatever was there); the daemon reads the same settings back.</summary>
    [Test]
    public void SettingsWrittenBySessionSetReadBackTheSame() => PropertyCheck.ForAll(
        Gen.Zip(Settings, Gen.Elements<byte[]?>(null, "{}"u8.ToArray(), "{\"port\": 1, // a comment\n \"Custom\": [1, 2],}"u8.ToArray())), c =>
        {
            var (settings, existing) = c;
            var written = SettingsStore.Merge(existing, SettingsStore.Persisted(settings), [], "settings.json");

            var read = DaemonSettingsFuzz.Read(written);

            Assert.That(read, Is.EqualTo(settings with { RpcHostWhitelist = read.RpcHostWhitelist }), System.Text.Encoding.UTF8.GetString(written));
            return true;
        }, tests: 150);

    private static Gen<string> Hex(int bytes) => Generators.FixedBytes(bytes).Select(Convert.ToHexStringLower);

    private static Gen<CatalogEntry> Entry { get; } =
        from hash in Hex(20)
        from magnet in Gen.Elements(false, true)
        from directory in AbsoluteDirectory
        from dates in Gen.Zip(Gen.Choose(0, int.MaxValue), Gen.Choose(-1, int.MaxValue))
        from lists in Gen.Zip(Generators.ListOf(Gen.Choose(0, 1000), 6), Generators.ListOf(Gen.Choose(-1, 1), 6))
        from limits in Generators.Zip(Gen.Choose(0, int.MaxValue), Gen.Choose(0, int.MaxValue), Gen.Choose(0, 10_000), Generators.NonNegative)
        from totals in Gen.Zip(Generators.Long.Select(Math.Abs), Generators.Long.Select(Math.Abs))
        from flags in Gen.ArrayOf(Gen.Elements(true, false), 3)
        from percent in Gen.Choose(0, 1000)
        select new CatalogEntry
        {
            Id = 1, InfoHash = hash, Magnet = magnet ? $"magnet:?xt=urn:btih:{hash}&dn=x" : null, DownloadDir = directory, Stopped = flags[0],
            AddedDate = DateTimeOffset.FromUnixTimeSeconds(dates.Item1), DoneDate = dates.Item2 < 0 ? null : DateTimeOffset.FromUnixTimeSeconds(dates.Item2),
            PercentDone = percent / 1000.0, Unwanted = lists.Item1, Priorities = lists.Item2,
            DownloadLimit = limits.Item1, DownloadLimited = flags[1], UploadLimit = limits.Item2, UploadLimited = flags[2],
            PeerLimit = limits.Item3, QueuePosition = limits.Item4, UploadedEver = Math.Max(0, totals.Item1), DownloadedEver = Math.Max(0, totals.Item2),
        };

    /// <summary>torrents.json as the daemon writes it reads back, through the restore rules, as the same entries.</summary>
    [Test]
    public void TorrentListReadsBackTheSame() => PropertyCheck.ForAll(
        Gen.Choose(0, 8).SelectMany(count => Gen.ArrayOf(Entry, count)).Select(e => e.Select((entry, i) => entry with { Id = i + 1 }).ToList()), entries =>
        {
            var distinct = entries.DistinctBy(e => e.InfoHash).ToList();
            var skipped = new List<string>();

            var read = CatalogEntryRules.Restorable(TorrentCatalog.Parse(TorrentCatalog.Serialize(distinct), "torrents.json"), (i, reason) => skipped.Add($"{i}: {reason}"));

            Assert.That(skipped, Is.Empty);
            Assert.That(read, Has.Count.EqualTo(distinct.Count));
            for (var i = 0; i < read.Count; i++)
            {
                Assert.That(read[i] with { Unwanted = [], Priorities = [] }, Is.EqualTo(distinct[i] with { Unwanted = [], Priorities = [] }));
                Assert.That(read[i].Unwanted, Is.EqualTo(distinct[i].Unwanted));
                Assert.That(read[i].Priorities, Is.EqualTo(distinct[i].Priorities));
            }
            return true;
        }, tests: 150);

    private static Gen<Bitfield> BitfieldOf(int length) =>
        Gen.ArrayOf(Gen.Elements(true, false), length).Select(bits =>
        {
            var field = new Bitfield(length);
            for (var i = 0; i < length; i++)
                field[i] = bits[i];
            return field;
        });

    private static Gen<ResumeData> Resume { get; } =
        from hash in Generators.FixedBytes(20)
        from pieceCount in Gen.OneOf(Gen.Choose(0, 70), Gen.Choose(0, 5000))
        from pieces in BitfieldOf(pieceCount)
        from files in Generators.ListOf(Generators.Zip(Generators.Text(30), Gen.OneOf(Gen.Constant(-1L), Generators.Long.Select(Math.Abs)), Generators.Long), 6)
        from peers in Generators.ListOf(Gen.OneOf(Generators.IPv4EndPoint, Generators.IPv6EndPoint).Select(e => e.ToString()), 8)
        from totals in Gen.Zip(Generators.Integer, Generators.Integer)
        from priorities in Gen.OneOf(Gen.Constant<byte[]?>(null), Generators.ListOf(Gen.Choose(0, 3).Select(p => (byte)p), 6).Select(p => (byte[]?)p))
        from parts in Gen.OneOf(Gen.Constant<Bitfield?>(null), BitfieldOf(pieceCount).Select(b => (Bitfield?)b))
        select new ResumeData(new InfoHash(hash), pieces, [.. files.Select(f => new ResumeFileState(f.Item1, f.Item2, f.Item3))], peers,
            totals.Item1, totals.Item2, priorities, parts);

    /// <summary>A resume file read back is the data written: pieces, files, peers, totals, the file selection and the part file's pieces.</summary>
    [Test]
    public void ResumeDataReadsBackTheSame() => PropertyCheck.ForAll(Resume, data =>
    {
        var loaded = ResumeCodec.Decode(ResumeCodec.Encode(data), data.InfoHash);

        Assert.That(loaded.Status, Is.EqualTo(ResumeLoadStatus.Loaded), loaded.Reason);
        var read = loaded.Data!;
        Assert.That(read.VerifiedPieces.Bytes.ToArray(), Is.EqualTo(data.VerifiedPieces.Bytes.ToArray()));
        Assert.That(read.VerifiedPieces.Length, Is.EqualTo(data.VerifiedPieces.Length));
        Assert.That(read.Files, Is.EqualTo(data.Files));
        Assert.That(read.Peers, Is.EqualTo(data.Peers));
        Assert.That((read.BytesDownloaded, read.BytesUploaded), Is.EqualTo((data.BytesDownloaded, data.BytesUploaded)));
        Assert.That(read.FilePriorities, Is.EqualTo(data.FilePriorities));
        Assert.That(read.PartPieces?.Bytes.ToArray(), Is.EqualTo(data.PartPieces?.Bytes.ToArray()));
        return true;
    }, tests: 200);

    /// <summary>Any damage to the payload of a resume file (one byte changed) is seen: it never loads as other data.</summary>
    [Test]
    public void AResumeFileWithAnyByteChangedNeverLoadsOtherData() => PropertyCheck.ForAll(
        Generators.Zip(Resume, Gen.Choose(0, int.MaxValue), Gen.Choose(1, 255)), c =>
        {
            var (data, at, flip) = c;
            var bytes = ResumeCodec.Encode(data);
            bytes[at % bytes.Length] ^= (byte)flip;

            var loaded = ResumeCodec.Decode(bytes, data.InfoHash);

            if (loaded.Data is { } read)
                Assert.That(read.VerifiedPieces.Bytes.ToArray(), Is.EqualTo(data.VerifiedPieces.Bytes.ToArray()), "a changed file loaded with other pieces");
            return true;
        }, tests: 300);

    /// <summary>
    /// The start-up decision over the fuzz target's torrent and files: whatever the resume data says, it trusts only pieces it
    /// records as verified, never over data that is not there (unless the part file holds them), and never both trusts and checks.
    /// </summary>
    [Test]
    public void TheStartUpDecisionTrustsOnlyWhatTheResumeDataRecords()
    {
        var fixture = StateFileFixture.Shared;
        var torrent = fixture.Torrent;
        var paths = new ContentPaths(torrent, fixture.DataDirectory);
        var current = torrent.Files.Select((f, i) => f.IsPadding ? null : ResumeFileState.Of(f.DisplayPath, paths[i]!)).Where(f => f is not null).ToList();
        var files = Gen.ArrayOf(Generators.Zip(Gen.Choose(0, 3), Generators.Integer, Generators.Integer), current.Count)
            .Select(changes => changes.Select((x, i) => x.Item1 > 0 ? current[i]! : current[i]! with { Length = x.Item2, LastWriteTicksUtc = x.Item3 }).ToList());
        var data = from pieces in BitfieldOf(torrent.PieceCount)
                   from states in files
                   from parts in Gen.OneOf(Gen.Constant<Bitfield?>(null), BitfieldOf(torrent.PieceCount).Select(b => (Bitfield?)b))
                   select new ResumeData(torrent.InfoHash, pieces, [.. states], [], 0, 0, null, parts);
        PropertyCheck.ForAll(data, resume =>
        {
            var decision = ResumeValidator.Decide(torrent, fixture.DataDirectory, ResumeLoadResult.Loaded(resume));

            foreach (var piece in decision.Trusted.SetIndices())
            {
                Assert.That(resume.VerifiedPieces[piece], $"piece {piece} trusted, not recorded");
                Assert.That(decision.ToCheck[piece], Is.False, $"piece {piece} trusted and checked");
                Assert.That(resume.PartPieces?[piece] == true || AllOnDisk(torrent, piece, current!), $"piece {piece} trusted over missing data");
            }
            return true;
        }, tests: 300);
    }

    /// <summary>Whether every byte of the piece is in a file that is on disk (a.bin, d.bin, and c.bin's first 10,000 bytes; padding counts).</summary>
    private static bool AllOnDisk(Torrent torrent, int piece, List<ResumeFileState?> current)
    {
        var start = (long)piece * torrent.PieceLength;
        var end = start + torrent.PieceSize(piece);
        var saved = 0;
        foreach (var file in torrent.Files)
        {
            var state = file.IsPadding ? null : current[saved++];
            if (file.IsPadding || file.Offset + file.Length <= start || file.Offset >= end)
                continue;
            var present = state!.Length < 0 ? 0 : state.Length;
            if (file.Offset + present < Math.Min(end, file.Offset + file.Length))
                return false;
        }
        return true;
    }

    private static Gen<DhtState> Dht { get; } =
        from id in Generators.FixedBytes(NodeId.Length)
        from nodes in Generators.ListOf(Gen.Zip(Generators.FixedBytes(NodeId.Length), Generators.IPv4EndPoint), 60)
        from external in Gen.OneOf(Gen.Constant<IPAddress?>(null), Generators.FixedBytes(4).Select(b => (IPAddress?)new IPAddress(b)))
        select new DhtState(new NodeId(id), [.. nodes.Select(n => new NodeContact(new NodeId(n.Item1), n.Item2))], external);

    /// <summary>dht.dat read back is the state written: id, every IPv4 node (in order), the external address.</summary>
    [Test]
    public void DhtStateReadsBackTheSame() => PropertyCheck.ForAll(Dht, state =>
    {
        var read = DhtStateFile.TryRead(DhtStateFile.Encode(state));

        Assert.That(read, Is.Not.Null);
        Assert.That(read!.NodeId, Is.EqualTo(state.NodeId));
        Assert.That(read.Nodes, Is.EqualTo(state.Nodes));
        Assert.That(read.ExternalAddress, Is.EqualTo(state.ExternalAddress));
        return true;
    }, tests: 300);
}
