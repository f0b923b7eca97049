namespace P2PShare.Fuzz.Targets;

/// <summary>
/// A directory of this process under the temporary folder for the targets that read files (settings.json is read from a file,
/// the resume target's data files), removed when the process exits normally. scripts/fuzz points TMPDIR into its work folder,
/// so the directories of fuzzing children that afl-fuzz kills stay there.
/// </summary>
internal static class ScratchDirectory
{
    public static string Create(string purpose)
    {
        var path = Path.Combine(Path.GetTempPath(), $"p2pshare-fuzz-{purpose}-{Environment.ProcessId}");
        Directory.CreateDirectory(path);
        AppDomain.CurrentDomain.ProcessExit += (_, _) =>
        {
            try
            {
                Directory.Delete(path, recursive: true);
            }
            catch (IOException)
            {
            }
        };
        return path;
    }
}
