namespace P2PShare.Tests.Support;

/// <summary>
/// Guards interop tests that need third-party software. Under CI=true a missing tool fails the test
/// (the CI image must have it); elsewhere the test is ignored with the reason.
/// </summary>
public static class RequiredTool
{
    /// <summary>Debian's interpreter: the python3-libtorrent bindings are built for it.</summary>
    public const string DebianPython = "/usr/bin/python3";

    private static readonly Lock CacheLock = new();
    private static readonly Dictionary<string, string?> Cache = new(StringComparer.Ordinal);

    public static bool IsCi =>
        string.Equals(Environment.GetEnvironmentVariable("CI"), "true", StringComparison.OrdinalIgnoreCase);

    /// <summary>Returns the full path of <paramref name="program"/> found on PATH (or an absolute path), or stops the test.</summary>
    public static string Ensure(string program)
    {
        var path = Find(program);
        if (path is null)
        {
            Missing($"'{program}' is not installed (not found on PATH); run scripts/install-deps");
        }
        return path!;
    }

    /// <summary>Ensures each program; returns their full paths in order.</summary>
    public static IReadOnlyList<string> Ensure(params string[] programs) => programs.Select(Ensure).ToArray();

    /// <summary>Ensures /usr/bin/python3 can import the libtorrent bindings (package python3-libtorrent).</summary>
    public static string EnsureLibtorrent()
    {
        var python = Ensure(DebianPython);
        bool ok;
        lock (CacheLock)
        {
            if (!Cache.TryGetValue("python3-libtorrent", out var cached))
            {
                cached = CanImportLibtorrent(python) ? python : null;
                Cache["python3-libtorrent"] = cached;
            }
            ok = cached is not null;
        }
        if (!ok)
        {
            Missing($"{python} cannot import libtorrent (package python3-libtorrent); run scripts/install-deps");
        }
        return python;
    }

    /// <summary>Full path of a program on PATH (or the path itself when absolute and executable), else null.</summary>
    public static string? Find(string program)
    {
        lock (CacheLock)
        {
            if (Cache.TryGetValue(program, out var cached))
            {
                return cached;
            }
            var found = Search(program);
            Cache[program] = found;
            return found;
        }
    }

    private static string? Search(string program)
    {
        if (Path.IsPathRooted(program))
        {
            return File.Exists(program) ? program : null;
        }
        var pathVariable = Environment.GetEnvironmentVariable("PATH") ?? "";
        foreach (var dir in pathVariable.Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries))
        {
            var candidate = Path.Combine(dir, program);
            if (File.Exists(candidate))
            {
                return candidate;
            }
        }
        // Daemons live in sbin on some systems, which may be missing from a test runner's PATH.
        foreach (var dir in new[] { "/usr/sbin", "/sbin", "/usr/bin", "/bin" })
        {
            var candidate = Path.Combine(dir, program);
            if (File.Exists(candidate))
            {
                return candidate;
            }
        }
        return null;
    }

    private static bool CanImportLibtorrent(string python)
    {
        try
        {
            using var process = System.Diagnostics.Process.Start(new System.Diagnostics.ProcessStartInfo(python, ["-c", "import libtorrent"])
            {
                RedirectStandardError = true,
                RedirectStandardOutput = true,
                UseShellExecute = false,
            });
            if (process is null)
            {
                return false;
            }
            if (!process.WaitForExit(TimeSpan.FromSeconds(20)))
            {
                process.Kill(entireProcessTree: true);
                return false;
            }
            return process.ExitCode == 0;
        }
        catch (System.ComponentModel.Win32Exception)
        {
            return false;
        }
    }

    private static void Missing(string reason)
    {
        if (IsCi)
        {
            Assert.Fail($"Required tool missing under CI=true: {reason}");
        }
        Assert.Ignore(reason);
    }
}
