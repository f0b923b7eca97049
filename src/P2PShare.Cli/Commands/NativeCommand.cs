using System.CommandLine;
using System.Net;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using P2PShare.Engine.Native;
using P2PShare.Networking.Native;
using P2PShare.Storage.Native;

namespace P2PShare.Cli.Commands;

/// <summary>
/// 'p2pshare native --port P --file PATH [--peer HOST:PORT]...': a node of the p2p-file-share JSON protocol,
/// with the same flags as the original so one can replace the other.
/// </summary>
internal static class NativeCommand
{
    private static readonly TimeSpan ProgressInterval = TimeSpan.FromSeconds(3);

    public static Command Create()
    {
        var port = new Option<int>("--port") { Description = "TCP port to listen on and advertise (0: any free port).", Required = true };
        var file = new Option<string>("--file") { Description = "The file: seeded when it exists and is complete, downloaded into otherwise.", Required = true };
        var peers = new Option<string[]>("--peer") { Description = "HOST:PORT of a node to connect to (repeatable).", AllowMultipleArgumentsPerToken = false };
        var tls = new Option<bool>("--tls") { Description = "Use TLS (self-signed) with peers that also use --tls." };
        var secret = new Option<string?>("--secret") { Description = "Shared secret of a private swarm: peers must prove they know it." };
        var command = new Command("native", "Share one file with p2p-file-share nodes (newline-delimited JSON protocol).")
        {
            port, file, peers, tls, secret,
        };
        command.SetAction((parse, cancellationToken) => CliHost.RunAsync(parse, cancellationToken, async (services, ct) =>
        {
            var options = new NativeNodeOptions
            {
                FilePath = Path.GetFullPath(parse.GetValue(file)!),
                ListenPort = ValidatePort(parse.GetValue(port)),
                Peers = [.. (parse.GetValue(peers) ?? []).Select(ParsePeer)],
                UseTls = parse.GetValue(tls),
                Secret = parse.GetValue(secret),
            };
            var directory = Path.GetDirectoryName(options.FilePath);
            if (directory is not null && !Directory.Exists(directory))
                throw new UserErrorException($"directory does not exist: {directory}");
            var logger = services.GetRequiredService<ILoggerFactory>().CreateLogger<NativeNode>();
            var time = services.GetRequiredService<TimeProvider>();
            using var security = NativeSecurity.Create(options.UseTls, options.Secret);
            await using var node = await NativeNode.StartAsync(options, new NativeFileStorage(), security, logger, time, ct).ConfigureAwait(false);
            Console.Out.WriteLine($"p2pshare native: node {node.Id} listening on port {node.ListenPort}, file {options.FilePath}");
            await ReportProgressAsync(node, time, ct).ConfigureAwait(false);
            return CliHost.ExitOk;
        }));
        return command;
    }

    /// <summary>Prints a plain progress line every few seconds until stopped; fails when the download does.</summary>
    private static async Task ReportProgressAsync(NativeNode node, TimeProvider time, CancellationToken cancellationToken)
    {
        var line = new NativeProgressLine(time);
        var announcedComplete = node.Completion.IsCompletedSuccessfully;
        using var timer = new PeriodicTimer(ProgressInterval, time);
        var tick = timer.WaitForNextTickAsync(cancellationToken).AsTask();
        while (true)
        {
            await Task.WhenAny(tick, node.Completion).ConfigureAwait(false);
            if (node.Completion.IsFaulted)
                await node.Completion.ConfigureAwait(false);
            if (node.Completion.IsCompletedSuccessfully && !announcedComplete)
            {
                announcedComplete = true;
                Console.Out.WriteLine("p2pshare native: download complete, SHA-1 verified; seeding (Ctrl+C to stop)");
            }
            if (!tick.IsCompleted)
                continue;
            await tick.ConfigureAwait(false);
            Console.Out.WriteLine(line.Format(node.GetProgress()));
            tick = timer.WaitForNextTickAsync(cancellationToken).AsTask();
        }
    }

    private static int ValidatePort(int port) =>
        port is >= 0 and <= 65535 ? port : throw new UserErrorException($"--port must be 0..65535, not {port}");

    internal static DnsEndPoint ParsePeer(string text)
    {
        var separator = text.LastIndexOf(':');
        if (separator <= 0 || !int.TryParse(text.AsSpan(separator + 1), out var port) || port is < 1 or > 65535)
            throw new UserErrorException($"--peer must be HOST:PORT, not '{text}'");
        var host = text[..separator];
        if (host.StartsWith('[') && host.EndsWith(']'))
            host = host[1..^1];
        return new DnsEndPoint(host, port);
    }
}
