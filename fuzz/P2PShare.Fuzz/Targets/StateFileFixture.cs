using P2PShare.Bencode;
using P2PShare.Metainfo;

namespace P2PShare.Fuzz.Targets;

/// <summary>
/// The torrent and data the <c>resume</c> target decides over, the same in every process (so the committed seeds, written
/// for it by <see cref="StateFileSeeds"/>, keep matching): a v1 multi-file torrent of 16 KiB pieces whose files are on
/// disk in a temporary directory with fixed modification times: a.bin complete, b.bin missing, a pad file, c.bin short
/// (10,000 of 50,000 bytes), d.bin empty. Piece hashes are zeros: the decision reads no data.
/// </summary>
internal sealed class StateFileFixture
{
    public const int PieceLength = 16 * 1024;

    /// <summary>The modification time every present file gets (UTC).</summary>
    public static readonly DateTime FileTime = new(2026, 1, 2, 3, 4, 5, DateTimeKind.Utc);

    private static readonly (string Name, long Length, long OnDisk, bool Pad)[] Files =
    [
        ("a.bin", 40_000, 40_000, false),
        ("b.bin", 30_000, -1, false),
        (".pad/1", 5_152, -1, true),
        ("c.bin", 50_000, 10_000, false),
        ("d.bin", 0, 0, false),
    ];

    private static readonly Lazy<StateFileFixture> Instance = new(() => new StateFileFixture(ScratchDirectory.Create("state")));

    public static StateFileFixture Shared => Instance.Value;

    public StateFileFixture(string directory)
    {
        DataDirectory = Path.GetFullPath(directory);
        Torrent = TorrentParser.Parse(BencodeEncoder.Encode(new BDictionary { ["info"] = Info() }));
        var root = Path.Combine(DataDirectory, Torrent.Name);
        Directory.CreateDirectory(root);
        foreach (var (name, _, onDisk, pad) in Files)
        {
            var path = Path.Combine(root, name);
            if (pad || onDisk < 0)
                continue;
            using (var stream = new FileStream(path, FileMode.Create, FileAccess.Write))
                stream.SetLength(onDisk);
            File.SetLastWriteTimeUtc(path, FileTime);
        }
    }

    public Torrent Torrent { get; }

    /// <summary>The directory the torrent's data is in (its root folder is inside).</summary>
    public string DataDirectory { get; }

    private static BDictionary Info()
    {
        var total = Files.Sum(f => f.Length);
        var pieces = (int)((total + PieceLength - 1) / PieceLength);
        var files = new BList(Files.Select(f =>
        {
            var entry = new BDictionary
            {
                ["length"] = new BInteger(f.Length),
                ["path"] = new BList(f.Name.Split('/').Select(part => (BValue)new BString(part))),
            };
            if (f.Pad)
                entry["attr"] = new BString("p");
            return (BValue)entry;
        }));
        return new BDictionary
        {
            ["files"] = files,
            ["name"] = new BString("fuzz-state"),
            ["piece length"] = new BInteger(PieceLength),
            ["pieces"] = new BString(new byte[pieces * 20]),
        };
    }
}
