using System.Text.Json;
using P2PShare.Tests.Support;

namespace P2PShare.Tests.Interop.Download;

/// <summary>Runs one short scripts/swarm command (an RPC call) and returns its JSON output.</summary>
internal static class SwarmCommand
{
    /// <summary>Runs 'bash scripts/swarm/SCRIPT ARGS'; null when it fails (the caller polls again), else its stdout as JSON.</summary>
    public static async Task<JsonElement?> TryJsonAsync(string script, IEnumerable<string> arguments, CancellationToken cancellationToken)
    {
        await using var process = ExternalProcess.Start("/bin/bash", [SwarmScripts.Path(script), .. arguments], name: script);
        int exit;
        try
        {
            exit = await process.WaitForExitAsync(TimeSpan.FromSeconds(20), cancellationToken).ConfigureAwait(false);
        }
        catch (TimeoutException)
        {
            return null;
        }
        if (exit != 0)
        {
            return null;
        }
        try
        {
            using var document = JsonDocument.Parse(process.StdoutTail);
            return document.RootElement.Clone();
        }
        catch (JsonException)
        {
            return null;
        }
    }
}
