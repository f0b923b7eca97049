namespace P2PShare.Engine.Picking;

/// <summary>
/// How much the user wants one file of a torrent. A skipped file is neither downloaded nor created (its bytes in
/// pieces shared with wanted files go to the part file); the other levels order the download (high first).
/// The values match <see cref="PiecePriority"/>.
/// </summary>
internal enum FilePriority : byte
{
    Skip = 0,
    Low = 1,
    Normal = 2,
    High = 3,
}

internal static class FilePriorities
{
    /// <summary>Every file at <paramref name="priority"/>.</summary>
    public static FilePriority[] All(int fileCount, FilePriority priority = FilePriority.Normal)
    {
        var result = new FilePriority[fileCount];
        Array.Fill(result, priority);
        return result;
    }

    /// <summary>Throws when a value is not a defined level or the count does not match the torrent's files.</summary>
    public static void Validate(IReadOnlyList<FilePriority> priorities, int fileCount)
    {
        ArgumentNullException.ThrowIfNull(priorities);
        if (priorities.Count != fileCount)
            throw new ArgumentException($"{priorities.Count} file priorities for {fileCount} files", nameof(priorities));
        foreach (var p in priorities)
            if (!Enum.IsDefined(p))
                throw new ArgumentOutOfRangeException(nameof(priorities), p, "not a file priority");
    }

    public static IReadOnlyList<PiecePriority> ToPieceLevels(IReadOnlyList<FilePriority> priorities) =>
        [.. priorities.Select(p => (PiecePriority)(byte)p)];
}
