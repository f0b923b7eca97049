using System.Globalization;
using System.Text.RegularExpressions;
using P2PShare.Engine.Picking;
using P2PShare.Metainfo;

namespace P2PShare.Cli.Commands;

/// <summary>
/// Which files of a torrent to download, from --select (numbers as 'info' prints them, from 1, padding files not
/// counted: "1,3-5"), --include and --exclude (globs over the path inside the torrent: '*' within a folder, '**' across
/// folders, '?' one character). With --select or --include only the files named are wanted; --exclude removes files.
/// </summary>
internal sealed record FileSelection(string? Select, IReadOnlyList<string> Include, IReadOnlyList<string> Exclude)
{
    public bool IsEmpty => Select is null && Include.Count == 0 && Exclude.Count == 0;

    /// <summary>Torrent file indexes (into <see cref="Torrent.Files"/>) of the non-padding files, in order: number n is entry n - 1.</summary>
    public static IReadOnlyList<int> NumberedFiles(Torrent torrent) =>
        [.. Enumerable.Range(0, torrent.Files.Count).Where(i => !torrent.Files[i].IsPadding)];

    /// <summary>One priority per torrent file; throws <see cref="UserErrorException"/> for a bad number or when nothing is left.</summary>
    public IReadOnlyList<FilePriority> Resolve(Torrent torrent)
    {
        var numbered = NumberedFiles(torrent);
        var wanted = new bool[torrent.Files.Count];
        var narrowed = Select is not null || Include.Count > 0;
        foreach (var index in numbered)
            wanted[index] = !narrowed;
        if (Select is not null)
            foreach (var number in ParseNumbers(Select, numbered.Count))
                wanted[numbered[number - 1]] = true;
        var includes = Include.Select(Glob).ToList();
        var excludes = Exclude.Select(Glob).ToList();
        foreach (var index in numbered)
        {
            var path = torrent.Files[index].DisplayPath;
            if (includes.Any(g => g.IsMatch(path)))
                wanted[index] = true;
            if (excludes.Any(g => g.IsMatch(path)))
                wanted[index] = false;
        }
        if (!numbered.Any(i => wanted[i]))
            throw new UserErrorException("the file selection leaves no file to download");
        return [.. wanted.Select((w, i) => torrent.Files[i].IsPadding ? FilePriority.Skip : w ? FilePriority.Normal : FilePriority.Skip)];
    }

    /// <summary>"1,3-5" → 1, 3, 4, 5 (each from 1 to <paramref name="count"/>).</summary>
    public static IReadOnlyList<int> ParseNumbers(string text, int count)
    {
        var result = new List<int>();
        foreach (var raw in text.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries))
        {
            var dash = raw.IndexOf('-', 1);
            int first, last;
            if (dash < 0)
                first = last = Number(raw);
            else
            {
                first = Number(raw[..dash]);
                last = Number(raw[(dash + 1)..]);
            }
            if (first < 1 || last > count || first > last)
                throw new UserErrorException($"--select '{raw}': files are numbered 1 to {count} (see 'p2pshare info')");
            for (var n = first; n <= last; n++)
                result.Add(n);
        }
        if (result.Count == 0)
            throw new UserErrorException($"--select '{text}' names no file");
        return result;

        int Number(string part) => int.TryParse(part.Trim(), NumberStyles.None, CultureInfo.InvariantCulture, out var n)
            ? n
            : throw new UserErrorException($"--select '{text}': '{part}' is not a file number");
    }

    /// <summary>A glob over '/'-separated paths as a regex: '**' any characters, '*' any but '/', '?' one but '/'.</summary>
    internal static Regex Glob(string glob)
    {
        var pattern = new System.Text.StringBuilder("^");
        for (var i = 0; i < glob.Length; i++)
        {
            var c = glob[i];
            if (c == '*' && i + 1 < glob.Length && glob[i + 1] == '*')
            {
                pattern.Append(".*");
                i++;
            }
            else if (c == '*')
                pattern.Append("[^/]*");
            else if (c == '?')
                pattern.Append("[^/]");
            else
                pattern.Append(Regex.Escape(c.ToString()));
        }
        // A pattern without a folder part matches the file name in any folder ('*.mkv').
        var anywhere = !glob.Contains('/');
        return new Regex((anywhere ? "^(?:.*/)?" : "^") + pattern.ToString()[1..] + "$", RegexOptions.CultureInvariant, TimeSpan.FromSeconds(1));
    }
}
