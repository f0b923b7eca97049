using System.Diagnostics;
using System.Runtime;

namespace P2PShare.Cli;

/// <summary>
/// For profiling (docs/perf.md): with P2PSHARE_RUNTIME_STATS=1 in the environment, a command prints one line to
/// standard error when it ends: managed bytes allocated over the whole process, garbage collections per generation,
/// and the process's user and system CPU time. Off by default; nothing is measured unless asked.
/// </summary>
internal static class RuntimeStats
{
    public const string Variable = "P2PSHARE_RUNTIME_STATS";

    public static bool Enabled => Environment.GetEnvironmentVariable(Variable) == "1";

    public static void ReportIfAsked(TextWriter output)
    {
        if (!Enabled)
            return;
        output.WriteLine(Format());
    }

    public static string Format()
    {
        using var process = Process.GetCurrentProcess();
        var info = GC.GetGCMemoryInfo(GCKind.Any);
        return $"runtime-stats: allocated_bytes={GC.GetTotalAllocatedBytes(precise: true)} " +
               $"gc0={GC.CollectionCount(0)} gc1={GC.CollectionCount(1)} gc2={GC.CollectionCount(2)} " +
               $"pause_ms={GC.GetTotalPauseDuration().TotalMilliseconds:F0} heap_bytes={info.HeapSizeBytes} " +
               $"server_gc={GCSettings.IsServerGC} user_s={process.UserProcessorTime.TotalSeconds:F2} " +
               $"sys_s={process.PrivilegedProcessorTime.TotalSeconds:F2}";
    }
}
