namespace P2PShare.Tests.Support;

/// <summary>Locates scripts/swarm in the repository the tests were built from.</summary>
public static class SwarmScripts
{
    private static readonly Lazy<string> Root = new(FindRepositoryRoot);

    /// <summary>The repository root (the directory holding P2PShare.sln).</summary>
    public static string RepositoryRoot => Root.Value;

    /// <summary>Absolute path of scripts/swarm.</summary>
    public static string Directory => System.IO.Path.Combine(RepositoryRoot, "scripts", "swarm");

    /// <summary>Absolute path of one script in scripts/swarm, checked to exist.</summary>
    public static string Path(string scriptName)
    {
        var path = System.IO.Path.Combine(Directory, scriptName);
        if (!File.Exists(path))
        {
            throw new FileNotFoundException($"swarm script not found: {path}", path);
        }
        return path;
    }

    private static string FindRepositoryRoot()
    {
        var overridden = Environment.GetEnvironmentVariable("P2PSHARE_REPO_ROOT");
        if (!string.IsNullOrEmpty(overridden))
        {
            return overridden;
        }
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(System.IO.Path.Combine(dir.FullName, "P2PShare.sln")))
            {
                return dir.FullName;
            }
        }
        throw new InvalidOperationException(
            $"P2PShare.sln not found above {AppContext.BaseDirectory}; set P2PSHARE_REPO_ROOT");
    }
}
