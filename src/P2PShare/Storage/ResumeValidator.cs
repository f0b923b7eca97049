using P2PShare.Metainfo;
using P2PShare.Protocol;

namespace P2PShare.Storage;

/// <summary>
/// Decides at start-up which pieces to trust from resume data and which to re-check. When every file still has the
/// size and modification time recorded with the resume data, its pieces are trusted without hashing. When a file
/// changed, went missing or was truncated, only the pieces overlapping it are re-checked. Resume data that is absent,
/// damaged, foreign or of another format costs a full re-check, never a failure. Pieces over bytes that are absent from disk
/// (missing or short files) are never worth hashing, so they are left out of the check.
/// </summary>
internal static class ResumeValidator
{
    public static ResumeDecision Decide(Torrent torrent, string directory, ResumeLoadResult loaded) =>
        Decide(torrent, directory, loaded, BootIdentity.Current);

    /// <param name="currentBoot">The running system's boot (<see cref="BootIdentity.Current"/>; tests pass another).</param>
    public static ResumeDecision Decide(Torrent torrent, string directory, ResumeLoadResult loaded, string? currentBoot)
    {
        ArgumentNullException.ThrowIfNull(torrent);
        ArgumentNullException.ThrowIfNull(loaded);
        var layout = new FileLayout(torrent);
        var current = CurrentStates(torrent, ContentPaths.For(torrent, directory));
        var checkable = CheckablePieces(torrent, layout, current);

        var problem = loaded.Status != ResumeLoadStatus.Loaded || loaded.Data is null
            ? loaded.Reason
            : Mismatch(torrent, loaded.Data);
        if (problem is not null)
            return new ResumeDecision(new Bitfield(torrent.PieceCount), checkable, [problem]);

        var data = loaded.Data!;
        var trusted = data.VerifiedPieces.Clone();
        var affected = new Bitfield(torrent.PieceCount);
        var reasons = new List<string>();
        var saved = 0;
        for (var i = 0; i < torrent.Files.Count; i++)
        {
            if (torrent.Files[i].IsPadding)
                continue;
            var before = data.Files[saved++];
            var now = current[i]!;
            if (before.Length == now.Length && before.LastWriteTicksUtc == now.LastWriteTicksUtc)
                continue;
            reasons.Add(Describe(torrent.Files[i], before, now));
            var (first, count) = layout.PiecesOfFile(i);
            for (var piece = first; piece < first + count; piece++)
            {
                affected[piece] = true;
                trusted[piece] = false;
            }
        }

        // Pieces saved before their data reached the disk, and the machine has restarted since: the page cache that held
        // them is gone, so they may be lost or partly written. Hash them again (kept if intact, fetched again if not).
        if (data.UnsyncedPieces is { IsEmpty: false } unsynced && !string.Equals(data.BootId, currentBoot, StringComparison.Ordinal))
        {
            var count = 0;
            foreach (var piece in unsynced.SetIndices())
            {
                if (!trusted[piece])
                    continue;
                trusted[piece] = false;
                affected[piece] = true;
                count++;
            }
            if (count > 0)
                reasons.Add($"{count} piece(s) were saved before they reached the disk and the system has restarted since");
        }

        // A claimed piece over data that is not there cannot be right, whatever the resume data says.
        var lost = 0;
        foreach (var piece in trusted.SetIndices().ToList())
        {
            // Bytes of skipped files in a piece the part file holds are not expected in the (uncreated) files.
            if (checkable[piece] || (data.PartPieces is { } parts && parts[piece] && !affected[piece]))
                continue;
            trusted[piece] = false;
            lost++;
        }
        if (lost > 0)
            reasons.Add($"{lost} verified piece(s) lie over missing or short files");

        var toCheck = new Bitfield(torrent.PieceCount);
        foreach (var piece in affected.SetIndices())
            if (checkable[piece])
                toCheck[piece] = true;
        return new ResumeDecision(trusted, toCheck, reasons);
    }

    /// <summary>Files this many or more are looked at on all cores.</summary>
    private const int ParallelStatFiles = 1000;

    /// <summary>
    /// The state of every file on disk now (null for padding). When a multi-file torrent's root is not there at all,
    /// no file under it can be, so none is looked at: a new download of 100,000 files makes no 100,000 stat calls.
    /// </summary>
    internal static ResumeFileState?[] CurrentStates(Torrent torrent, ContentPaths paths)
    {
        var current = new ResumeFileState?[torrent.Files.Count];
        var files = torrent.Files;
        if (torrent.IsMultiFile && !AnythingAt(paths.Root))
        {
            for (var i = 0; i < files.Count; i++)
                if (!files[i].IsPadding)
                    current[i] = ResumeFileState.Missing(files[i].DisplayPath);
            return current;
        }
        void Stat(int i)
        {
            if (!files[i].IsPadding)
                current[i] = ResumeFileState.Of(files[i].DisplayPath, paths[i]!);
        }
        if (files.Count >= ParallelStatFiles)
            Parallel.For(0, files.Count, Stat);
        else
            for (var i = 0; i < files.Count; i++)
                Stat(i);
        return current;
    }

    /// <summary>Whether a file, a directory or a link (even a dangling one) is at <paramref name="path"/>.</summary>
    private static bool AnythingAt(string path) =>
        File.Exists(path) || Directory.Exists(path) || LinkGuard.LinkTargetOf(path) is not null;

    /// <summary>Why intact resume data still does not fit this torrent; null when it does.</summary>
    private static string? Mismatch(Torrent torrent, ResumeData data)
    {
        if (!data.InfoHash.Equals(torrent.InfoHash))
            return $"resume data is for another torrent ({data.InfoHash.Hex}, expected {torrent.InfoHash.Hex})";
        if (data.VerifiedPieces.Length != torrent.PieceCount)
            return $"resume data damaged: {data.VerifiedPieces.Length} pieces recorded, the torrent has {torrent.PieceCount}";
        var files = torrent.Files.Where(f => !f.IsPadding).Select(f => f.DisplayPath).ToList();
        if (files.Count != data.Files.Count || !files.SequenceEqual(data.Files.Select(f => f.Path), StringComparer.Ordinal))
            return "resume data damaged: its file list differs from the torrent's";
        return null;
    }

    private static string Describe(TorrentFile file, ResumeFileState before, ResumeFileState now)
    {
        var name = file.DisplayPath;
        if (!now.Existed)
            return $"file {name} is missing";
        if (!before.Existed)
            return $"file {name} appeared since last run";
        if (before.Length != now.Length)
            return now.Length < before.Length && now.Length < file.Length
                ? $"file {name} was truncated since last run ({before.Length} -> {now.Length} bytes)"
                : $"file {name} changed size since last run ({before.Length} -> {now.Length} bytes)";
        return $"file {name} changed time since last run";
    }

    /// <summary>Pieces whose every byte is on disk (padding counts as present): the only ones that can verify.</summary>
    private static Bitfield CheckablePieces(Torrent torrent, FileLayout layout, ResumeFileState?[] current)
    {
        var checkable = new Bitfield(torrent.PieceCount);
        checkable.SetAll();
        for (var i = 0; i < torrent.Files.Count; i++)
        {
            var file = torrent.Files[i];
            if (file.IsPadding || file.Length == 0 || current[i]!.Length >= file.Length)
                continue;
            // Pieces wholly inside the part still there may be fine; those reaching past its end cannot be.
            var missingFrom = file.Offset + Math.Max(0, current[i]!.Length);
            var (first, count) = layout.PiecesOfFile(i);
            for (var piece = (int)(missingFrom / torrent.PieceLength); piece < first + count; piece++)
                checkable[piece] = false;
        }
        return checkable;
    }
}
