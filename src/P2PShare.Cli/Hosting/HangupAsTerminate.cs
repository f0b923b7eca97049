using System.Runtime.InteropServices;

namespace P2PShare.Cli;

/// <summary>
/// SIGHUP (terminal closed, ssh session dropped) gets the same clean stop as SIGTERM and SIGINT: pieces flushed,
/// resume data saved, 'stopped' announced. .NET's default for SIGHUP is to end the process at once; this handler
/// cancels that and sends the process a SIGTERM, which the command line's termination handling turns into a cancel.
/// </summary>
internal static class HangupAsTerminate
{
    private const int SigTerm = 15;

    public static IDisposable? Register()
    {
        if (OperatingSystem.IsWindows())
            return null;
        return PosixSignalRegistration.Create(PosixSignal.SIGHUP, context =>
        {
            context.Cancel = true;
            _ = Kill(Environment.ProcessId, SigTerm);
        });
    }

#pragma warning disable SYSLIB1054 // LibraryImport needs unsafe code in this project; two ints marshal the same either way
    [DllImport("libc", EntryPoint = "kill", SetLastError = true)]
    private static extern int Kill(int pid, int signal);
#pragma warning restore SYSLIB1054
}
