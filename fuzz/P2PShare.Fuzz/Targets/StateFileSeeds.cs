using System.Net;
using Microsoft.Extensions.Logging.Abstractions;
using P2PShare.Bencode;
using P2PShare.Cli.Daemon;
using P2PShare.Networking.Dht;
using P2PShare.Protocol;
using P2PShare.Protocol.Dht;
using P2PShare.Storage;

namespace P2PShare.Fuzz.Targets;

/// <summary>
/// Writes the seed corpora of the four state-file targets with the client's own writers (<c>P2PShare.Fuzz --make-seeds DIR</c>
/// → DIR/TARGET/NAME): resume files by <see cref="ResumeStore.SaveAsync"/> for <see cref="StateFileFixture"/>'s torrent (and
/// their payloads for the target's wrapped mode), dht.dat by <see cref="DhtNode.SaveStateAsync"/>, settings.json by
/// <see cref="SettingsStore"/> (session-set, the password move), torrents.json by <see cref="TorrentCatalog.SaveAsync"/>.
/// Deterministic: the same files every time.
/// </summary>
internal static class StateFileSeeds
{
    public static async Task WriteAsync(string directory, CancellationToken cancellationToken)
    {
        await ResumeAsync(Path.Combine(directory, "resume"), cancellationToken);
        await DhtStateAsync(Path.Combine(directory, "dht-state"), cancellationToken);
        await SettingsAsync(Path.Combine(directory, "daemon-settings"), cancellationToken);
        await TorrentsAsync(Path.Combine(directory, "daemon-torrents"), cancellationToken);
    }

    private static async Task ResumeAsync(string directory, CancellationToken cancellationToken)
    {
        Directory.CreateDirectory(directory);
        var fixture = StateFileFixture.Shared;
        var torrent = fixture.Torrent;
        var store = new ResumeStore(Path.Combine(Path.GetTempPath(), $"p2pshare-fuzz-seeds-{Environment.ProcessId}"));
        var some = new Bitfield(torrent.PieceCount);
        some[0] = some[1] = some[4] = true;
        var all = new Bitfield(torrent.PieceCount);
        all.SetAll();
        var parts = new Bitfield(torrent.PieceCount);
        parts[4] = true;
        var cases = new (string Name, ResumeData Data)[]
        {
            ("fresh", ResumeData.Capture(torrent, fixture.DataDirectory, new Bitfield(torrent.PieceCount))),
            ("some-pieces-peers", ResumeData.Capture(torrent, fixture.DataDirectory, some, ["127.0.0.1:6881", "[::1]:51413"], 81_920, 4_096)),
            ("all-pieces", ResumeData.Capture(torrent, fixture.DataDirectory, all, [], 120_000, 360_000)),
            ("selection-part-file", ResumeData.Capture(torrent, fixture.DataDirectory, some, ["127.0.0.2:7000"], 65_536, 0) with
            {
                FilePriorities = [2, 0, 2, 3, 1],
                PartPieces = parts,
            }),
        };
        foreach (var (name, data) in cases)
        {
            await store.SaveAsync(data, cancellationToken);
            var file = await File.ReadAllBytesAsync(store.PathFor(torrent.InfoHash), cancellationToken);
            await File.WriteAllBytesAsync(Path.Combine(directory, name + ".resume"), file, cancellationToken);
            // The wrapped mode: a byte that is not 'd', then the payload alone.
            var payload = ((BDictionary)BencodeDecoder.Decode(file)).Get<BString>("payload")!;
            await File.WriteAllBytesAsync(Path.Combine(directory, "payload-" + name), [(byte)'p', .. payload.Span], cancellationToken);
        }
        Directory.Delete(store.StateDirectory, recursive: true);
    }

    private static async Task DhtStateAsync(string directory, CancellationToken cancellationToken)
    {
        Directory.CreateDirectory(directory);
        var random = new Random(5);
        var id = NodeId.Random(random);
        NodeContact Contact(int i) => new(NodeId.Random(random), new IPEndPoint(IPAddress.Parse($"127.0.{i / 200}.{1 + i % 200}"), 6881 + i));
        var cases = new (string Name, DhtState State)[]
        {
            ("empty-table", new DhtState(id, [], null)),
            ("three-nodes", new DhtState(id, [.. Enumerable.Range(0, 3).Select(Contact)], null)),
            ("forty-nodes-external-address", new DhtState(NodeIdFactory.Create(IPAddress.Parse("198.51.100.7"), random),
                [.. Enumerable.Range(0, 40).Select(Contact)], IPAddress.Parse("198.51.100.7"))),
        };
        foreach (var (name, state) in cases)
        {
            var path = Path.Combine(directory, name + ".dat");
            var node = new DhtNode(new DhtOptions { StateFilePath = path }, new DhtStateFuzz.NoSender(), TimeProvider.System, random, NullLogger.Instance, state);
            await node.SaveStateAsync(cancellationToken);
        }
    }

    private static async Task SettingsAsync(string directory, CancellationToken cancellationToken)
    {
        Directory.CreateDirectory(directory);
        // session-set on a daemon without a settings file: every persisted key.
        var first = Path.Combine(directory, "after-session-set.json");
        File.Delete(first);
        var store = new SettingsStore(first, new DaemonSettings { DownloadDir = "/srv/downloads" });
        await store.UpdateAsync(s => s with { SpeedLimitDown = 512, SpeedLimitDownEnabled = true, DownloadQueueSize = 3, RatioLimit = 1.5, WatchDir = "/srv/watch" },
            cancellationToken);
        // The password move: a file the user wrote with a plain password (and other keys), as the daemon leaves it.
        var second = Path.Combine(directory, "password-moved.json");
        await File.WriteAllTextAsync(second, "{}", cancellationToken);
        await SettingsStore.WriteAsync(second, new Dictionary<string, System.Text.Json.Nodes.JsonNode?>
        {
            ["RpcUsername"] = "admin",
            ["RpcBind"] = "0.0.0.0",
            ["RpcHostWhitelist"] = "nas.example,nas",
            ["Port"] = 51413,
            ["Encryption"] = "require",
            ["RpcPasswordHash"] = "pbkdf2-sha256$100000$c2FsdHNhbHRzYWx0c2FsdA==$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=",
        }, [DaemonConfiguration.PlainPasswordKey], cancellationToken);
    }

    private static async Task TorrentsAsync(string directory, CancellationToken cancellationToken)
    {
        Directory.CreateDirectory(directory);
        var config = Path.Combine(Path.GetTempPath(), $"p2pshare-fuzz-seeds-catalog-{Environment.ProcessId}");
        var catalog = new TorrentCatalog(config);
        var added = new DateTimeOffset(2026, 1, 2, 3, 4, 5, TimeSpan.Zero);
        CatalogEntry[] entries =
        [
            new() { Id = 1, InfoHash = "c12fe1c06bba254a9dc9f519b335aa7c1367a88a", DownloadDir = "/srv/downloads", AddedDate = added, QueuePosition = 0 },
            new()
            {
                Id = 2, InfoHash = "0123456789abcdef0123456789abcdef01234567", DownloadDir = "/srv/other", AddedDate = added, QueuePosition = 1,
                Magnet = "magnet:?xt=urn:btih:0123456789abcdef0123456789abcdef01234567&dn=name&tr=http%3A%2F%2F127.0.0.1%3A1%2Fa",
                Stopped = true, DoneDate = added.AddHours(1), PercentDone = 1, Unwanted = [1, 3], Priorities = [1, 0, -1, 0],
                DownloadLimit = 2048, DownloadLimited = true, UploadLimit = 64, UploadLimited = true, PeerLimit = 30,
                UploadedEver = 123_456_789, DownloadedEver = 98_765_432,
            },
        ];
        await catalog.SaveAsync([entries[0]], cancellationToken);
        File.Copy(catalog.ListPath, Path.Combine(directory, "one-torrent.json"), overwrite: true);
        await catalog.SaveAsync(entries, cancellationToken);
        File.Copy(catalog.ListPath, Path.Combine(directory, "torrent-and-magnet.json"), overwrite: true);
        await catalog.SaveAsync([], cancellationToken);
        File.Copy(catalog.ListPath, Path.Combine(directory, "empty.json"), overwrite: true);
        Directory.Delete(config, recursive: true);
    }
}
