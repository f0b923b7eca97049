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

    public Option<string> GiveUpAfter { get; } = new("--give-up-after")
    {
        Description = "Exit with an error after this long without any peer (default 300 s); when given, also after this long without progress, with the diagnosis (seconds, or 90s, 5m, 1h).",
        DefaultValueFactory = _ => "300",
    };

    public Option<int> UploadSlots { get; } = new("--upload-slots") { Description = "Peers uploaded to at once (plus one optimistic).", DefaultValueFactory = _ => 4 };

    public Option<long?> MaxUploadRate { get; } = Output.SizeOption.Create("--max-upload-rate", "Upload limit for all peers together, per second: bytes or with a unit (500K, 2M, 1.5MiB).");

    public Option<long?> MaxDownloadRate { get; } = Output.SizeOption.Create("--max-download-rate", "Download limit for all peers together, per second: bytes or with a unit (500K, 2M, 1.5MiB).");

    public Option<long?> DiskQueueSize { get; } = Output.SizeOption.Create("--disk-queue-size",
        "Memory for received pieces waiting to be hashed and written, all torrents together (default 16MiB, at least 1MiB); beyond it the download waits for the disk.");

    public Option<bool> NoDht { get; } = new("--no-dht") { Description = "Do not use the DHT (BEP 5) to find peers or be found." };

    public Option<string[]> DhtBootstrap { get; } = new("--dht-bootstrap") { Description = "Bootstrap the DHT from this node (HOST:PORT; repeat for more); replaces the default routers.", AllowMultipleArgumentsPerToken = false };

    public Option<bool> NoPortMapping { get; } = new("--no-port-mapping") { Description = "Do not ask the router (PCP/NAT-PMP, UPnP) to forward the listen port." };

    public Option<string> PortMappingMethods { get; } = new("--port-mapping-methods")
    {
        Description = "Which ways of asking the router to use, comma-separated: upnp, pcp, natpmp (default: all; PCP before NAT-PMP before UPnP).",
        DefaultValueFactory = _ => "upnp,pcp,natpmp",
    };

    public Option<bool> NoLsd { get; } = new("--no-lsd") { Description = "Do not announce public torrents on the local network or listen for local peers (BEP 14)." };

    public Option<bool> LocalOnly { get; } = new("--local-only")
    {
        Description = "Send nothing beyond this machine unless named: no port mapping, no LSD, no DHT routers (only --dht-bootstrap nodes); also env P2PSHARE_LOCAL_ONLY=1.",
    };

    public Option<bool> NoWebSeeds { get; } = new("--no-web-seeds") { Description = "Do not download from the torrent's web seeds (BEP 19 HTTP servers)." };

    public Option<string> WebSeedTimeout { get; } = new("--web-seed-timeout")
    {
        Description = "How long a web seed may take to answer one piece before it counts as a failure and is retried later (seconds, or 90s, 5m).",
        DefaultValueFactory = _ => "30",
    };

    public Option<string> Encryption { get; } = new("--encryption")
    {
        Description = "Message Stream Encryption of peer connections: prefer (encrypt, fall back to plain), require, disable.",
        DefaultValueFactory = _ => "prefer",
    };

    public Option<int?> NativePort { get; } = new("--native-port")
    {
        Description = "Also offer single-file torrents to nodes of the native JSON protocol (p2pshare native, p2p-file-share) on this TCP port, and download from them (0: any free port).",
    };

    public Option<string[]> NativePeers { get; } = new("--native-peer")
    {
        Description = "Also dial this node of the native JSON protocol (HOST:PORT; repeatable) for single-file torrents; implies --native-port 0 unless given.",
        AllowMultipleArgumentsPerToken = false,
    };

    public Option<PeerTransportMode> Transport { get; } = new("--transport") { Description = "Dial peers over tcp, utp, or both (a race: TCP at once, uTP 250 ms later or when TCP fails).", DefaultValueFactory = _ => PeerTransportMode.Both };

    public void AddTo(Command command)
    {
        foreach (var option in new Option[] { Port, Bind, Peers, MaxPeers, SeedRatio, SeedTime, StateDir, GiveUpAfter, UploadSlots, MaxUploadRate, MaxDownloadRate, DiskQueueSize, Encryption, NoDht, DhtBootstrap, NoWebSeeds, WebSeedTimeout, Transport, NativePort, NativePeers, NoPortMapping, PortMappingMethods, NoLsd, LocalOnly })
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
        if (File.Exists(dataDirectory))
            throw new UserErrorException($"{dataDirectory} is a file: the output must be a directory");
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
            GiveUpWithoutPeers = DurationText.Parse(parse.GetValue(GiveUpAfter), "--give-up-after"),
            Engine = new EngineOptions
            {
                MaxPeers = maxPeers,
                UploadSlots = Math.Max(1, parse.GetValue(UploadSlots)),
                Native = new Engine.Native.NativeTorrentOptions { Peers = ReadNativePeers(parse) },
                WebSeeds = new Engine.WebSeeds.WebSeedOptions
                {
                    Enabled = !parse.GetValue(NoWebSeeds), RequestTimeout = WebSeedTimeoutValue(parse),
                },
            },
        };
    }

    /// <summary>What all torrents of the process share: the port and the rate limits (for all torrents together).</summary>
    public EngineSettings ReadEngineSettings(ParseResult parse, TorrentRunOptions first)
    {
        var settings = ReadBaseEngineSettings(parse, first) with
        {
            PortMapping = !parse.GetValue(NoPortMapping),
            PortMappingOptions = ReadPortMappingMethods(parse.GetValue(PortMappingMethods)),
            Lsd = !parse.GetValue(NoLsd),
        };
        return parse.GetValue(LocalOnly) || EngineSettings.LocalOnlyRequestedByEnvironment ? settings.RestrictedToLocal() : settings;
    }

    private static Networking.PortMapping.PortMappingOptions ReadPortMappingMethods(string? text)
    {
        var names = (text ?? "").Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Select(n => n.ToLowerInvariant()).ToList();
        if (names.Count == 0 || names.Any(n => n is not ("upnp" or "pcp" or "natpmp")))
            throw new UserErrorException($"--port-mapping-methods '{text}': a comma-separated list of upnp, pcp, natpmp");
        return new() { Upnp = names.Contains("upnp"), Pcp = names.Contains("pcp"), NatPmp = names.Contains("natpmp") };
    }

    private EngineSettings ReadBaseEngineSettings(ParseResult parse, TorrentRunOptions first) => new()
    {
        Dht = !parse.GetValue(NoDht),
        Transport = parse.GetValue(Transport),
        DhtBootstrap = ReadDhtBootstrap(parse),
        DhtStateFile = Path.Combine(first.StateDirectory ?? Path.Combine(first.DataDirectory, ".p2pshare"), "dht.dat"),
        Port = first.Port,
        ListenAddress = first.ListenAddress,
        MaxUploadRate = parse.GetValue(MaxUploadRate) ?? 0,
        MaxDownloadRate = parse.GetValue(MaxDownloadRate) ?? 0,
        DiskQueueBytes = ReadDiskQueueBytes(parse),
        MaxConnections = Math.Max(500, first.Engine.MaxPeers),
        Encryption = ParseEncryption(parse.GetValue(Encryption)),
        NativePort = ReadNativePort(parse),
    };

    private IReadOnlyList<DnsEndPoint> ReadNativePeers(ParseResult parse) =>
        [.. (parse.GetValue(NativePeers) ?? []).Select(text =>
        {
            try
            {
                return NativeCommand.ParsePeer(text);
            }
            catch (UserErrorException)
            {
                throw new UserErrorException($"--native-peer must be HOST:PORT, not '{text}'");
            }
        })];

    private int? ReadNativePort(ParseResult parse) => parse.GetValue(NativePort) switch
    {
        null when (parse.GetValue(NativePeers) ?? []).Length > 0 => 0,
        null => null,
        { } port when port is >= 0 and <= IPEndPoint.MaxPort => port,
        { } port => throw new UserErrorException($"--native-port {port}: must be from 0 to {IPEndPoint.MaxPort}"),
    };

    private long ReadDiskQueueBytes(ParseResult parse) => parse.GetValue(DiskQueueSize) switch
    {
        null => new EngineSettings().DiskQueueBytes,
        >= 1024 * 1024 and var bytes => bytes,
        var bytes => throw new UserErrorException($"--disk-queue-size {bytes} bytes: must be at least 1MiB"),
    };

    private static EncryptionPolicy ParseEncryption(string? text) => text?.Trim().ToLowerInvariant() switch
    {
        "prefer" or null => EncryptionPolicy.Prefer,
        "require" => EncryptionPolicy.Require,
        "disable" => EncryptionPolicy.Disable,
        _ => throw new UserErrorException($"--encryption '{text}': must be prefer, require or disable"),
    };

    /// <summary>
    /// Runs the torrents in one engine until all are done (or Ctrl+C). Exit code (<see cref="RunOutput.FinishAsync"/>):
    /// 0 complete or stopped while seeding, 3 stopped before complete, 1 a torrent failed.
    /// </summary>
    /// <param name="why">Print each torrent's diagnosis whenever its causes change (--why).</param>
    public static async Task<int> RunAsync(IServiceProvider services, IReadOnlyList<TorrentRunOptions> torrents, EngineSettings settings, CancellationToken cancellationToken,
        RunOutput? output = null, bool why = false)
    {
        output ??= new RunOutput();
        var time = services.GetRequiredService<TimeProvider>();
        var loggers = services.GetRequiredService<ILoggerFactory>();
        var logger = loggers.CreateLogger<TorrentRunCommand>();
        await using var engine = ClientEngine.Start(settings, time, loggers);
        try
        {
            return await RunInHostAsync(engine, loggers, logger, time, torrents, cancellationToken, output, why).ConfigureAwait(false);
        }
        finally
        {
            // After the host has stopped every torrent: their last lines come before the exit line.
            output.WriteExit(time);
        }
    }

    private static async Task<int> RunInHostAsync(ClientEngine engine, ILoggerFactory loggers, ILogger logger, TimeProvider time, IReadOnlyList<TorrentRunOptions> torrents,
        CancellationToken cancellationToken, RunOutput output, bool why)
    {
        // Diagnoses go to the display's message line, or to stderr when stdout carries JSON.
        Action<string> diagnosisOut = output.Json ? Console.Error.WriteLine : _ => { };
        var host = new TorrentHost(engine, loggers, time);
        await using (host.ConfigureAwait(false))
        {
            if (torrents.Count == 1)
            {
                // One torrent: the single status line (and peer table) as always.
                var display = output.Json ? null : new ConsoleProgress(Console.Out, !Console.IsOutputRedirected, time);
                using var reachability = ReachabilityReporter.Start(engine, display is null ? diagnosisOut : display.Message);
                var single = host.Add(torrents[0], output.For(torrents[0], display, time, logger));
                await using var printer = DiagnosisPrinter.Start([(null, single)], display is null ? diagnosisOut : display.Message, why, time, cancellationToken);
                try
                {
                    await WaitAsync(single.Run!, cancellationToken).ConfigureAwait(false);
                }
                catch (Exception error) when (!cancellationToken.IsCancellationRequested)
                {
                    output.Failed(0, error.Message);
                    await output.FinishAsync([single], cancelled: false, time).ConfigureAwait(false);
                    output.Failed(error);
                    throw;
                }
                return await output.FinishAsync([single], cancellationToken.IsCancellationRequested, time).ConfigureAwait(false);
            }
            var multi = output.Json ? null : new MultiTorrentProgress(Console.Out, !Console.IsOutputRedirected, time);
            multi?.Message($"{torrents.Count} torrents, listening on port {engine.Port}");
            using var reachabilityOfAll = ReachabilityReporter.Start(engine, multi is null ? diagnosisOut : multi.Message);
            var added = torrents.Select(t => host.Add(t, output.For(t, multi?.For(t.Magnet?.DisplayName ?? Path.GetFileName(t.TorrentPath)), time, logger))).ToList();
            var all = Task.WhenAll(added.Select(t => t.Completion));
            await using var diagnoses = DiagnosisPrinter.Start([.. added.Select(t => ((string?)t.Name, t))], multi is null ? diagnosisOut : multi.Message, why, time, cancellationToken);
            using var timer = new PeriodicTimer(TimeSpan.FromSeconds(1), time);
            while (!all.IsCompleted && !cancellationToken.IsCancellationRequested)
            {
                var tick = timer.WaitForNextTickAsync(cancellationToken).AsTask();
                await Task.WhenAny(tick, all).ConfigureAwait(false);
                multi?.Render(added);
            }
            multi?.Render(added, force: true);
            var failed = added.Where(t => t.State == TorrentState.Error).ToList();
            for (var i = 0; i < added.Count; i++)
                if (added[i].State == TorrentState.Error)
                    output.Failed(i, added[i].Error ?? "failed");
            var code = await output.FinishAsync(added, cancellationToken.IsCancellationRequested, time).ConfigureAwait(false);
            if (failed.Count > 0 && !cancellationToken.IsCancellationRequested)
                throw new IOException(string.Join("; ", failed.Select(t => $"{t.Name}: {t.Error}")));
            return code;
        }
    }

    private static async Task WaitAsync(Task run, CancellationToken cancellationToken)
    {
        // Ctrl+C: the host's disposal stops the run, which saves and announces 'stopped' before it ends.
        await Task.WhenAny(run, Task.Delay(Timeout.Infinite, cancellationToken)).ConfigureAwait(false);
        if (run.IsCompleted)
            await run.ConfigureAwait(false);
    }

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

    /// <summary>--web-seed-timeout, at most a day (the timeout strategy's bound).</summary>
    private TimeSpan WebSeedTimeoutValue(ParseResult parse)
    {
        var timeout = DurationText.Parse(parse.GetValue(WebSeedTimeout), "--web-seed-timeout");
        return timeout > TimeSpan.FromDays(1) ? TimeSpan.FromDays(1) : timeout;
    }
}
