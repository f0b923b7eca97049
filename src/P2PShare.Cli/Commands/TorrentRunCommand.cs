using System.CommandLine;
using System.Globalization;
using System.Net;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using P2PShare.Cli.Progress;
using P2PShare.Engine;
using P2PShare.Hosting;
using P2PShare.Metainfo;
using P2PShare.Networking.Encryption;

namespace P2PShare.Cli.Commands;

/// <summary>Options shared by 'download' and 'seed', and the code that runs a torrent from them.</summary>
internal sealed class TorrentRunCommand
{
    /// <param name="portOption">The name of the peer-port option ('stream' uses --port for its HTTP port).</param>
    public TorrentRunCommand(string portOption = "--port")
    {
        Port = new(portOption) { Description = "TCP port to listen on for peers (the next free one if taken).", DefaultValueFactory = _ => 6881 };
    }

    public Option<int> Port { get; }

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

    public Option<bool> NoDht { get; } = new("--no-dht") { Description = "Do not use the DHT (BEP 5) to find peers or be found." };

    public Option<string[]> DhtBootstrap { get; } = new("--dht-bootstrap") { Description = "Bootstrap the DHT from this node (HOST:PORT; repeat for more); replaces the default routers.", AllowMultipleArgumentsPerToken = false };

    public Option<bool> NoWebSeeds { get; } = new("--no-web-seeds") { Description = "Do not download from the torrent's web seeds (BEP 19 HTTP servers)." };

    public Option<string> Encryption { get; } = new("--encryption")
    {
        Description = "Message Stream Encryption of peer connections: prefer (encrypt, fall back to plain), require, disable.",
        DefaultValueFactory = _ => "prefer",
    };

    public Option<PeerTransportMode> Transport { get; } = new("--transport") { Description = "Dial peers over tcp, utp, or both (uTP first, TCP when it does not answer).", DefaultValueFactory = _ => PeerTransportMode.Both };

    public void AddTo(Command command)
    {
        foreach (var option in new Option[] { Port, Bind, Peers, MaxPeers, SeedRatio, SeedTime, StateDir, GiveUpAfter, UploadSlots, MaxUploadRate, MaxDownloadRate, Encryption, NoDht, DhtBootstrap, NoWebSeeds, Transport })
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
            throw new UserErrorException($"{Port.Name} {port}: must be from 0 to {IPEndPoint.MaxPort}");
        var bind = parse.GetValue(Bind);
        var address = IPAddress.Any;
        if (bind is not null && !IPAddress.TryParse(bind, out address!))
            throw new UserErrorException($"--bind '{bind}' is not an IP address");
        var maxPeers = parse.GetValue(MaxPeers);
        if (maxPeers < 1)
            throw new UserErrorException("--max-peers must be at least 1");
        var seedTime = parse.GetValue(SeedTime);
        var peerTexts = parse.GetValue(Peers) ?? [];
        var literal = new List<IPEndPoint>();
        var named = new List<string>();
        foreach (var text in peerTexts)
        {
            if (ParsePeer(text) is { } endPoint)
                literal.Add(endPoint);
            else
                named.Add(text);
        }
        return new TorrentRunOptions
        {
            TorrentPath = torrentPath,
            Magnet = magnet,
            DataDirectory = Path.GetFullPath(dataDirectory),
            StateDirectory = parse.GetValue(StateDir),
            Port = port,
            ListenAddress = address,
            ExtraPeers = literal,
            ExtraPeerTexts = named,
            SeedRatio = parse.GetValue(SeedRatio),
            SeedTime = seedTime is { } minutes ? TimeSpan.FromMinutes(minutes) : null,
            GiveUpWithoutPeers = TimeSpan.FromSeconds(Math.Max(1, parse.GetValue(GiveUpAfter))),
            Engine = new EngineOptions
            {
                MaxPeers = maxPeers,
                UploadSlots = Math.Max(1, parse.GetValue(UploadSlots)),
                WebSeeds = new Engine.WebSeeds.WebSeedOptions { Enabled = !parse.GetValue(NoWebSeeds) },
            },
        };
    }

    /// <summary>What all torrents of the process share: the port and the rate limits (for all torrents together).</summary>
    public EngineSettings ReadEngineSettings(ParseResult parse, TorrentRunOptions first) => new()
    {
        Dht = !parse.GetValue(NoDht),
        Transport = parse.GetValue(Transport),
        DhtBootstrap = ReadDhtBootstrap(parse),
        DhtStateFile = Path.Combine(first.StateDirectory ?? Path.Combine(first.DataDirectory, ".p2pshare"), "dht.dat"),
        Port = first.Port,
        ListenAddress = first.ListenAddress,
        MaxUploadRate = KiBPerSecond(parse.GetValue(MaxUploadRate), "--max-upload-rate") ?? 0,
        MaxDownloadRate = KiBPerSecond(parse.GetValue(MaxDownloadRate), "--max-download-rate") ?? 0,
        MaxConnections = Math.Max(500, first.Engine.MaxPeers),
        Encryption = ParseEncryption(parse.GetValue(Encryption)),
    };

    private static EncryptionPolicy ParseEncryption(string? text) => text?.Trim().ToLowerInvariant() switch
    {
        "prefer" or null => EncryptionPolicy.Prefer,
        "require" => EncryptionPolicy.Require,
        "disable" => EncryptionPolicy.Disable,
        _ => throw new UserErrorException($"--encryption '{text}': must be prefer, require or disable"),
    };

    /// <summary>Runs the torrents in one engine until all are done (or Ctrl+C); a torrent that fails makes the exit code 1.</summary>
    public static async Task<int> RunAsync(IServiceProvider services, IReadOnlyList<TorrentRunOptions> torrents, EngineSettings settings, CancellationToken cancellationToken)
    {
        var time = services.GetRequiredService<TimeProvider>();
        var loggers = services.GetRequiredService<ILoggerFactory>();
        await using var engine = ClientEngine.Start(settings, time, loggers);
        var host = new TorrentHost(engine, loggers, time);
        await using (host.ConfigureAwait(false))
        {
            if (torrents.Count == 1)
            {
                // One torrent: the single status line (and peer table) as always.
                var single = host.Add(torrents[0], new ConsoleProgress(Console.Out, !Console.IsOutputRedirected, time));
                await WaitAsync(single.Run!, cancellationToken).ConfigureAwait(false);
                return CliHost.ExitOk;
            }
            var display = new MultiTorrentProgress(Console.Out, !Console.IsOutputRedirected, time);
            display.Message($"{torrents.Count} torrents, listening on port {engine.Port}");
            var added = torrents.Select(t => host.Add(t, display.For(t.Magnet?.DisplayName ?? Path.GetFileName(t.TorrentPath)))).ToList();
            var all = Task.WhenAll(added.Select(t => t.Completion));
            using var timer = new PeriodicTimer(TimeSpan.FromSeconds(1), time);
            while (!all.IsCompleted && !cancellationToken.IsCancellationRequested)
            {
                var tick = timer.WaitForNextTickAsync(cancellationToken).AsTask();
                await Task.WhenAny(tick, all).ConfigureAwait(false);
                display.Render(added);
            }
            display.Render(added, force: true);
            var failed = added.Where(t => t.State == TorrentState.Error).ToList();
            if (failed.Count > 0 && !cancellationToken.IsCancellationRequested)
                throw new IOException(string.Join("; ", failed.Select(t => $"{t.Name}: {t.Error}")));
            return CliHost.ExitOk;
        }
    }

    private static async Task WaitAsync(Task run, CancellationToken cancellationToken)
    {
        // Ctrl+C: the host's disposal stops the run, which saves and announces 'stopped' before it ends.
        await Task.WhenAny(run, Task.Delay(Timeout.Infinite, cancellationToken)).ConfigureAwait(false);
        if (run.IsCompleted)
            await run.ConfigureAwait(false);
    }

    private static long? KiBPerSecond(long? value, string option) => value switch
    {
        null or 0 => null,
        < 0 => throw new UserErrorException($"{option} {value}: must be a positive number of KiB/s"),
        _ => value * 1024,
    };

    /// <summary>--dht-bootstrap nodes (IP:PORT or HOST:PORT, resolved by the DHT without delaying start-up); null when none given.</summary>
    public IReadOnlyList<EndPoint>? ReadDhtBootstrap(ParseResult parse)
    {
        var texts = parse.GetValue(DhtBootstrap) ?? [];
        return texts.Length == 0 ? null : ParseDhtNodes(texts);
    }

    /// <summary>DHT nodes as IP:PORT, or HOST:PORT left for the DHT to resolve; a bad one is a one-line error.</summary>
    internal static IReadOnlyList<EndPoint> ParseDhtNodes(IEnumerable<string> texts)
    {
        return texts.Select(text =>
        {
            try
            {
                return ParsePeer(text) is { } ip ? (EndPoint)ip : new DnsEndPoint(text[..text.LastIndexOf(':')], int.Parse(text[(text.LastIndexOf(':') + 1)..], CultureInfo.InvariantCulture));
            }
            catch (UserErrorException)
            {
                throw new UserErrorException($"--dht-bootstrap '{text}' is not HOST:PORT");
            }
        }).ToList();
    }

    /// <summary>An IP:PORT is an address now; HOST:PORT is checked here and resolved (asynchronously) when the run starts (null).</summary>
    internal static IPEndPoint? ParsePeer(string text)
    {
        if (IPEndPoint.TryParse(text, out var endPoint) && endPoint.Port > 0)
            return endPoint;
        var colon = text.LastIndexOf(':');
        if (colon > 0 && int.TryParse(text[(colon + 1)..], NumberStyles.None, CultureInfo.InvariantCulture, out var port) && port is > 0 and <= IPEndPoint.MaxPort
            && Uri.CheckHostName(text[..colon]) != UriHostNameType.Unknown)
            return null;
        throw new UserErrorException($"--peer '{text}' is not HOST:PORT");
    }
}
