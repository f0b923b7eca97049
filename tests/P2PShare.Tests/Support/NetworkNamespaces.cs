using System.Globalization;
using NUnit.Framework;

namespace P2PShare.Tests.Support;

/// <summary>
/// Network namespaces for tests that must send what never leaves a namespace: multicast (LSD, SSDP) and requests to a
/// gateway (UPnP, NAT-PMP, PCP). Each instance has a unique name prefix; <see cref="DisposeAsync"/> deletes every
/// namespace it created (their veth pairs go with them). Needs root and iproute2 (fails under CI=true without them).
/// </summary>
public sealed class NetworkNamespaces : IAsyncDisposable
{
    private readonly List<string> _created = [];

    public NetworkNamespaces()
    {
        Ip = RequiredTool.Ensure("ip");
        if (Environment.UserName != "root" && !RequiredTool.IsCi)
            Assert.Ignore("network namespaces need root");
        Prefix = "p2" + Convert.ToHexStringLower(BitConverter.GetBytes(Random.Shared.Next())).AsSpan(0, 6).ToString();
    }

    public string Ip { get; }

    /// <summary>Unique per instance, short enough for interface names (prefix + 3 characters stays within 15).</summary>
    public string Prefix { get; }

    /// <summary>Creates namespace PREFIX-NAME with lo up (multicast on); returns its name.</summary>
    public async Task<string> AddAsync(string name, CancellationToken cancellationToken)
    {
        var ns = $"{Prefix}-{name}";
        await RunAsync(cancellationToken, "netns", "add", ns);
        _created.Add(ns);
        await RunAsync(cancellationToken, "-n", ns, "link", "set", "lo", "up", "multicast", "on");
        return ns;
    }

    /// <summary>A veth pair between two namespaces, with an address (CIDR) on each end, both up; returns the interface names.</summary>
    public async Task<(string Left, string Right)> LinkAsync(string leftNs, string leftCidr, string rightNs, string rightCidr, string tag,
        CancellationToken cancellationToken)
    {
        var (left, right) = ($"{Prefix}{tag}a", $"{Prefix}{tag}b");
        await RunAsync(cancellationToken, "link", "add", left, "netns", leftNs, "type", "veth", "peer", "name", right, "netns", rightNs);
        await RunAsync(cancellationToken, "-n", leftNs, "addr", "add", leftCidr, "dev", left);
        await RunAsync(cancellationToken, "-n", rightNs, "addr", "add", rightCidr, "dev", right);
        await RunAsync(cancellationToken, "-n", leftNs, "link", "set", left, "up", "multicast", "on");
        await RunAsync(cancellationToken, "-n", rightNs, "link", "set", right, "up", "multicast", "on");
        return (left, right);
    }

    /// <summary>'ip ARGS' (fails the test with its output on a non-zero exit).</summary>
    public Task<string> RunAsync(CancellationToken cancellationToken, params string[] arguments) => RunProgramAsync(Ip, arguments, cancellationToken);

    /// <summary>'ip netns exec NS PROGRAM ARGS' to completion (bounded), returning stdout.</summary>
    public Task<string> ExecAsync(string ns, CancellationToken cancellationToken, params string[] command) =>
        RunProgramAsync(Ip, ["netns", "exec", ns, .. command], cancellationToken);

    /// <summary>Prefix for <see cref="ExternalProcess"/> launches inside <paramref name="ns"/>.</summary>
    public IReadOnlyList<string> Launcher(string ns) => [Ip, "netns", "exec", ns];

    private static async Task<string> RunProgramAsync(string program, IReadOnlyList<string> arguments, CancellationToken cancellationToken)
    {
        await using var process = ExternalProcess.Start(program, arguments, name: $"{Path.GetFileName(program)} {string.Join(' ', arguments.Take(4))}");
        var code = await process.WaitForExitAsync(TimeSpan.FromSeconds(15), cancellationToken);
        if (code != 0)
            Assert.Fail($"{program} {string.Join(' ', arguments)} exited {code.ToString(CultureInfo.InvariantCulture)}: {process.OutputTail}");
        return process.StdoutTail;
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var ns in Enumerable.Reverse(_created))
        {
            try
            {
                await using var process = ExternalProcess.Start(Ip, ["netns", "del", ns], name: "ip netns del");
                await process.WaitForExitAsync(TimeSpan.FromSeconds(10));
            }
            catch (Exception error)
            {
                TestContext.Out.WriteLine($"could not delete namespace {ns}: {error.Message}");
            }
        }
    }
}
