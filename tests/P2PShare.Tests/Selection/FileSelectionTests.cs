using P2PShare.Cli.Commands;
using P2PShare.Cli;
using P2PShare.Engine.Picking;
using P2PShare.Metainfo;
using P2PShare.Tests.Storage;

namespace P2PShare.Tests.Selection;

/// <summary>--select / --include / --exclude: parsing, the file numbers 'info' prints (padding not counted), and the pieces they map to.</summary>
public class FileSelectionTests
{
    private const int PieceLength = 16 * 1024;

    // Numbers as 'info' prints them: 1 a/one.mkv, 2 a/two.srt, 3 b/three.mkv, 4 notes.txt (the padding entry has none).
    private static Torrent Season() => TestTorrents.Build("season", PieceLength,
        new TestFile("a/one.mkv", new byte[40_000]),
        TestFile.Padding(0, 3 * PieceLength - 40_000),
        new TestFile("a/two.srt", new byte[1_000]),
        new TestFile("b/three.mkv", new byte[50_000]),
        new TestFile("notes.txt", new byte[500])).Torrent;

    private static FileSelection Select(string? select = null, string[]? include = null, string[]? exclude = null) =>
        new(select, include ?? [], exclude ?? []);

    /// <summary>The wanted files by path (padding and skipped ones left out).</summary>
    private static string[] Wanted(Torrent torrent, FileSelection selection)
    {
        var priorities = selection.Resolve(torrent);
        Assert.That(priorities, Has.Count.EqualTo(torrent.Files.Count));
        return [.. torrent.Files.Select((f, i) => (f, i)).Where(x => priorities[x.i] != FilePriority.Skip).Select(x => x.f.DisplayPath)];
    }

    [TestCase("1", new[] { 1 })]
    [TestCase("1,3-5", new[] { 1, 3, 4, 5 })]
    [TestCase(" 2 , 4-4 ", new[] { 2, 4 })]
    [TestCase("5-6,1", new[] { 5, 6, 1 })]
    public void Numbers_and_ranges_are_parsed(string text, int[] expected) =>
        Assert.That(FileSelection.ParseNumbers(text, count: 6), Is.EqualTo(expected));

    [TestCase("0")]
    [TestCase("7")]
    [TestCase("3-2")]
    [TestCase("2-9")]
    [TestCase("x")]
    [TestCase("1,+2")]
    [TestCase("-1")]
    [TestCase(",")]
    [TestCase("")]
    public void Bad_numbers_are_a_user_error_naming_the_range(string text)
    {
        var error = Assert.Throws<UserErrorException>(() => FileSelection.ParseNumbers(text, count: 6));
        TestContext.Out.WriteLine($"'{text}': {error!.Message}");
        Assert.That(error.Message, Does.Contain("--select"));
    }

    [Test]
    public void Padding_files_are_not_numbered_so_numbers_match_info()
    {
        var torrent = Season();
        Assert.That(torrent.Files, Has.Count.EqualTo(5));
        Assert.That(FileSelection.NumberedFiles(torrent), Is.EqualTo(new[] { 0, 2, 3, 4 }));
        Assert.That(Wanted(torrent, Select("2")), Is.EqualTo(new[] { "a/two.srt" }));
        Assert.That(Wanted(torrent, Select("1,3-4")), Is.EqualTo(new[] { "a/one.mkv", "b/three.mkv", "notes.txt" }));
        Assert.Throws<UserErrorException>(() => Select("5").Resolve(torrent), "only four numbered files");
        Assert.That(Select("1").Resolve(torrent)[1], Is.EqualTo(FilePriority.Skip), "padding is never wanted");
    }

    [Test]
    public void Globs_match_names_in_any_folder_without_a_slash_and_paths_with_one()
    {
        var torrent = Season();
        Assert.That(Wanted(torrent, Select(include: ["*.mkv"])), Is.EqualTo(new[] { "a/one.mkv", "b/three.mkv" }));
        Assert.That(Wanted(torrent, Select(include: ["a/*"])), Is.EqualTo(new[] { "a/one.mkv", "a/two.srt" }));
        Assert.That(Wanted(torrent, Select(include: ["*/t?o.*"])), Is.EqualTo(new[] { "a/two.srt" }));
        Assert.That(Wanted(torrent, Select(include: ["**.mkv"])), Is.EqualTo(new[] { "a/one.mkv", "b/three.mkv" }));
        // No file name starts with 'a', and '*' does not cross '/' (so "a/one.mkv" is no match): nothing is left.
        Assert.Throws<UserErrorException>(() => Select(include: ["a*"]).Resolve(torrent));
    }

    [Test]
    public void Exclude_alone_keeps_everything_else_and_wins_over_select_and_include()
    {
        var torrent = Season();
        Assert.That(Wanted(torrent, Select(exclude: ["*.txt"])), Is.EqualTo(new[] { "a/one.mkv", "a/two.srt", "b/three.mkv" }));
        Assert.That(Wanted(torrent, Select("1-4", exclude: ["b/**"])), Is.EqualTo(new[] { "a/one.mkv", "a/two.srt", "notes.txt" }));
        Assert.That(Wanted(torrent, Select("4", include: ["*.srt"])), Is.EqualTo(new[] { "a/two.srt", "notes.txt" }), "--select and --include add up");
        var error = Assert.Throws<UserErrorException>(() => Select("1", exclude: ["*.mkv"]).Resolve(torrent));
        Assert.That(error!.Message, Does.Contain("no file"));
    }

    [Test]
    public void Glob_metacharacters_of_regexes_are_literal()
    {
        var regex = FileSelection.Glob("ep(1)+[x].mkv");
        Assert.That(regex.IsMatch("ep(1)+[x].mkv"), Is.True);
        Assert.That(regex.IsMatch("ep11+x.mkv"), Is.False);
    }

    [Test]
    public void A_selection_maps_to_the_pieces_of_its_files_and_a_straddling_piece_is_fetched_whole()
    {
        // 16 KiB pieces: one.mkv is pieces 0-2 (padded to a piece boundary), two.srt piece 3, three.mkv pieces 3-6
        // (piece 3 straddles two.srt and three.mkv), notes.txt piece 6 (with the end of three.mkv).
        var torrent = Season();
        Assert.That(torrent.PieceCount, Is.EqualTo(7));
        var levels = FilePriorities.ToPieceLevels(Select("2").Resolve(torrent));
        var pieces = PiecePriorities.FromFiles(torrent, levels);
        Assert.That(Enumerable.Range(0, 7).Where(pieces.IsWanted), Is.EqualTo(new[] { 3 }), "two.srt alone: the one piece it lies in");
        pieces = PiecePriorities.FromFiles(torrent, FilePriorities.ToPieceLevels(Select("4").Resolve(torrent)));
        Assert.That(Enumerable.Range(0, 7).Where(pieces.IsWanted), Is.EqualTo(new[] { 6 }));
        pieces = PiecePriorities.FromFiles(torrent, FilePriorities.ToPieceLevels(Select("1").Resolve(torrent)));
        Assert.That(Enumerable.Range(0, 7).Where(pieces.IsWanted), Is.EqualTo(new[] { 0, 1, 2 }), "the padding keeps piece 3 out");
        // A high file's shared piece takes the higher level.
        var mixed = new[] { FilePriority.Low, FilePriority.Skip, FilePriority.Low, FilePriority.High, FilePriority.Skip };
        pieces = PiecePriorities.FromFiles(torrent, FilePriorities.ToPieceLevels(mixed));
        Assert.That(Enumerable.Range(0, 7).Select(p => pieces[p]), Is.EqualTo(new[]
        {
            PiecePriority.Low, PiecePriority.Low, PiecePriority.Low, PiecePriority.High, PiecePriority.High, PiecePriority.High, PiecePriority.High,
        }));
    }
}
