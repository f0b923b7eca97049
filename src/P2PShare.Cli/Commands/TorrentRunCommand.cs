using System.CommandLine;
using System.Globalization;
using System.Net;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using P2PShare.Cli.Progress;
using P2PShare.Engine;
using P2PShare.Hosting;
using P2PShare.Metainfo;

namespace P2PShare.Cli.Commands;

/// <summary>Options shared by 'download' and 'seed', and the code that runs a torrent from them.</summary>
internal sealed class TorrentRunCommand
{
    public Option<int> Port { get; } = new("--port") { Description = "TCP port to listen on for peers (the next free one if taken).", DefaultValueFactory = _ => 6881 };

    public Option<string?> Bind { get; } = new("--bind") { Description = "Address to listen on (default: all)." };

    public Option<string[]> Peers { get; } = new("--peer") { Description = "Connect to this peer (HOST:PORT); repeat for more.", AllowMultipleArgumentsPerToken = false };

    public Option<int> MaxPeers { get; } = new("--max-peers") { Description = "Most peers connected at once.", DefaultValueFactory = _ => 50 };

    public Option<double?> SeedRatio { get; } = new("--seed-ratio") { Description = "Stop seeding when uploaded/size reaches this ratio." };

    public Option<double?> SeedTime { get; } = new("--seed-time") { Description = "Stop seeding after this many minutes." };

    public Option<string?> StateDir { get; } = new("--state-dir") { Description = "Where resume data is kept (default: DIR/.p2pshare)." };

    public Option<int> GiveUpAfter { get; } = new("--give-up-after") { Description = "Exit with an error after this many seconds without any peer.", DefaultValueFactory = _ => 300 };

    public Option<int> UploadSlots { get; } = new("--upload-slots") { Description = "Peers uploaded to at once (plus one optimistic).", DefaultValueFactory = _ => 4 };

    public Option<long?> MaxUploadRate { get; } = new("--max-upload-rate") { Description = "Upload limit for all peers together, in KiB/s." };

    public Option<long?> MaxDownloadRate { get; } = new("--max-download-rate") { Description = "Download limit for all peers together, in KiB/s." };

    public void AddTo(Command command)
    {
        foreach (var option in new Option[] { Port, Bind, Peers, MaxPeers, SeedRatio, SeedTime, StateDir, GiveUpAfter, UploadSlots, MaxUploadRate, MaxDownloadRate })
            command.Options.Add(option);
    }

    public TorrentRunOptions Read(ParseResult parse, string torrentPath, string dataDirectory)
    {
        MagnetLink? magnet = null;
        if (MagnetLink.LooksLikeMagnet(torrentPath))
        {
            try
            {
                magnet = MagnetLink.Parse(torrentPath);
            }
            catch (MetainfoException error)
            {
                throw new UserErrorException($"bad magnet link: {error.Message}");
            }
        }
        else if (!File.Exists(torrentPath))
            throw new UserErrorException($"torrent file not found: {torrentPath}");
        var port = parse.GetValue(Port);
        if (port is < 0 or > IPEndPoint.MaxPort)
            throw new UserErrorException($"--port {port}: must be from 0 to {IPEndPoint.MaxPort}");
        var bind = parse.GetValue(Bind);
        var address = IPAddress.Any;
        if (bind is not null && !IPAddress.TryParse(bind, out address!))
            throw new UserErrorException($"--bind '{bind}' is not an IP address");
        var maxPeers = parse.GetValue(MaxPeers);
        if (maxPeers < 1)
            throw new UserErrorException("--max-peers must be at least 1");
        var seedTime = parse.GetValue(SeedTime);
        return new TorrentRunOptions
        {
            TorrentPath = torrentPath,
            Magnet = magnet,
            DataDirectory = Path.GetFullPath(dataDirectory),
            StateDirectory = parse.GetValue(StateDir),
            Port = port,
            ListenAddress = address,
            ExtraPeers = (parse.GetValue(Peers) ?? []).Select(ParsePeer).ToList(),
            SeedRatio = parse.GetValue(SeedRatio),
            SeedTime = seedTime is { } minutes ? TimeSpan.FromMinutes(minutes) : null,
            GiveUpWithoutPeers = TimeSpan.FromSeconds(Math.Max(1, parse.GetValue(GiveUpAfter))),
            Engine = new EngineOptions
            {
                MaxPeers = maxPeers,
                UploadSlots = Math.Max(1, parse.GetValue(UploadSlots)),
                MaxUploadRate = KiBPerSecond(parse.GetValue(MaxUploadRate), "--max-upload-rate"),
                MaxDownloadRate = KiBPerSecond(parse.GetValue(MaxDownloadRate), "--max-download-rate"),
            },
        };
    }

    public static async Task<int> RunAsync(IServiceProvider services, TorrentRunOptions options, CancellationToken cancellationToken)
    {
        var time = services.GetRequiredService<TimeProvider>();
        var observer = new ConsoleProgress(Console.Out, !Console.IsOutputRedirected, time);
        var runner = new TorrentRunner(options, observer, services.GetRequiredService<ILoggerFactory>(), time);
        await runner.RunAsync(cancellationToken).ConfigureAwait(false);
        return CliHost.ExitOk;
    }

    private static long? KiBPerSecond(long? value, string option) => value switch
    {
        null or 0 => null,
        < 0 => throw new UserErrorException($"{option} {value}: must be a positive number of KiB/s"),
        _ => value * 1024,
    };

    internal static IPEndPoint ParsePeer(string text)
    {
        if (IPEndPoint.TryParse(text, out var endPoint) && endPoint.Port > 0)
            return endPoint;
        var colon = text.LastIndexOf(':');
        if (colon > 0 && int.TryParse(text[(colon + 1)..], NumberStyles.None, CultureInfo.InvariantCulture, out var port) && port is > 0 and <= IPEndPoint.MaxPort)
        {
            var host = text[..colon];
            var addresses = Dns.GetHostAddresses(host);
            if (addresses.Length > 0)
                return new IPEndPoint(addresses[0], port);
        }
        throw new UserErrorException($"--peer '{text}' is not HOST:PORT");
    }
}
