namespace P2PShare.Storage;

/// <summary>A file as it was on disk when resume data was saved.</summary>
/// <param name="Path">The file's path inside the torrent ('/'-separated), to match it up again.</param>
/// <param name="Length">Its size in bytes, or -1 when it did not exist.</param>
/// <param name="LastWriteTicksUtc">Its modification time (UTC ticks), 0 when it did not exist.</param>
internal sealed record ResumeFileState(string Path, long Length, long LastWriteTicksUtc)
{
    public bool Existed => Length >= 0;

    /// <summary>A file that is not on disk.</summary>
    public static ResumeFileState Missing(string displayPath) => new(displayPath, -1, 0);

    /// <summary>Reads the state of a file on disk now.</summary>
    public static ResumeFileState Of(string displayPath, string fullPath)
    {
        var info = new FileInfo(fullPath);
        return info.Exists
            ? new ResumeFileState(displayPath, info.Length, info.LastWriteTimeUtc.Ticks)
            : new ResumeFileState(displayPath, -1, 0);
    }
}
