using System.Globalization;
using P2PShare.Tests.Support;

namespace P2PShare.Tests.Daemon;

/// <summary>Debian's transmission-remote (package transmission-cli) run against a daemon's RPC port; returns its exit code and output.</summary>
public static class TransmissionRemote
{
    public static async Task<(int ExitCode, string Output)> RunAsync(int rpcPort, IEnumerable<string> arguments, CancellationToken cancellationToken = default)
    {
        var program = RequiredTool.Ensure("transmission-remote");
        await using var process = ExternalProcess.Start(program, [$"127.0.0.1:{rpcPort.ToString(CultureInfo.InvariantCulture)}", .. arguments],
            name: "transmission-remote " + string.Join(' ', arguments));
        var exit = await process.WaitForExitAsync(TimeSpan.FromSeconds(30), cancellationToken).ConfigureAwait(false);
        var output = process.OutputTail;
        TestContext.Out.WriteLine($"$ transmission-remote {string.Join(' ', arguments)}  (exit {exit}){Environment.NewLine}{output}");
        return (exit, output);
    }

    /// <summary>Runs it and fails the test unless it exits 0.</summary>
    public static async Task<string> RunOkAsync(int rpcPort, params string[] arguments)
    {
        var (exit, output) = await RunAsync(rpcPort, arguments).ConfigureAwait(false);
        Assert.That(exit, Is.EqualTo(0), $"transmission-remote {string.Join(' ', arguments)}:{Environment.NewLine}{output}");
        return output;
    }
}
