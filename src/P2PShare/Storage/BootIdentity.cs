namespace P2PShare.Storage;

/// <summary>
/// Which boot of the operating system this process runs in (Linux: <c>/proc/sys/kernel/random/boot_id</c>, a new
/// random value at every boot). Data written to a file but not yet fsynced survives the writing process (a crash, a
/// <c>kill -9</c>) but not the machine (power loss, a kernel crash): while the boot is the same, the page cache still
/// holds it. Resume data saved without an fsync records the boot, and after another boot those pieces are hashed again.
/// </summary>
internal static class BootIdentity
{
    private const string Path = "/proc/sys/kernel/random/boot_id";
    private static readonly Lazy<string?> Cached = new(Read);

    /// <summary>This boot's identity; null where the system gives none (then every save fsyncs).</summary>
    public static string? Current => Cached.Value;

    private static string? Read()
    {
        if (!OperatingSystem.IsLinux())
            return null;
        try
        {
            var text = File.ReadAllText(Path).Trim();
            return text.Length is > 0 and <= 64 ? text : null;
        }
        catch (Exception error) when (error is IOException or UnauthorizedAccessException)
        {
            return null;
        }
    }
}
