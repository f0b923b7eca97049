using System.Runtime.InteropServices;

namespace P2PShare.Platform;

/// <summary>
/// The few libc calls .NET has no managed way to make (Linux and macOS; callers skip them on Windows). Below every
/// other layer, so that each layer that needs one shares these declarations.
/// </summary>
internal static class LibC
{
    public const int ReadOnly = 0;

    public const int Einval = 22;

    // O_NONBLOCK and O_CLOEXEC have other values on macOS than on Linux (the same on x64 and arm64 Linux).
    public static int NonBlock => OperatingSystem.IsMacOS() ? 0x4 : 0x800;

    public static int CloseOnExec => OperatingSystem.IsMacOS() ? 0x1000000 : 0x80000;

    [DllImport("libc", EntryPoint = "open", SetLastError = true, CharSet = CharSet.Ansi, BestFitMapping = false, ThrowOnUnmappableChar = true)]
    public static extern int Open(string path, int flags);

    [DllImport("libc", EntryPoint = "fsync", SetLastError = true)]
    public static extern int Fsync(int fd);

    [DllImport("libc", EntryPoint = "close", SetLastError = true)]
    public static extern int Close(int fd);
}
