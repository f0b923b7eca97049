using System.Runtime.InteropServices;

namespace P2PShare.Tests.Support;

/// <summary>The signal helpers of <see cref="ExternalProcess"/>: POSIX signals by PID (libc kill) and the ignored-signal check.</summary>
public sealed partial class ExternalProcess
{
    private const int SigTerm = 15;
    private const int SigHup = 1;

    /// <summary>Sends SIGTERM to the process (not its children).</summary>
    public void Terminate() => Signal(SigTerm);

    /// <summary>Sends SIGHUP to the process.</summary>
    public void Hangup() => Signal(SigHup);

    /// <summary>
    /// The process ignores <paramref name="signal"/> (its SigIgn mask in /proc). POSIX keeps an ignored signal ignored
    /// across exec, so a test host started by nohup (SIGHUP) or as a background job of a non-interactive shell (SIGINT)
    /// passes that on to every process it starts, and a test of that signal cannot run there.
    /// </summary>
    public bool IgnoresSignal(int signal)
    {
        var line = File.ReadLines($"/proc/{Pid}/status").FirstOrDefault(l => l.StartsWith("SigIgn:", StringComparison.Ordinal));
        return line is not null && (ulong.Parse(line["SigIgn:".Length..].Trim(), System.Globalization.NumberStyles.HexNumber,
            System.Globalization.CultureInfo.InvariantCulture) & (1UL << (signal - 1))) != 0;
    }

    /// <summary>Sends a POSIX signal to the process by PID.</summary>
    public void Signal(int signal)
    {
        if (!HasExited && NativeKill(Pid, signal) != 0 && !HasExited)
        {
            throw new InvalidOperationException($"kill({Pid}, {signal}) failed: errno {Marshal.GetLastPInvokeError()}");
        }
    }

    // Classic DllImport: int arguments are blittable, so no unsafe code is needed in the test project.
    [DllImport("libc", EntryPoint = "kill", SetLastError = true)]
#pragma warning disable SYSLIB1054
    private static extern int NativeKill(int pid, int signal);
#pragma warning restore SYSLIB1054
}
