using System.CommandLine;
using System.Globalization;
using System.Net;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using P2PShare.Engine;
using P2PShare.Metainfo;
using P2PShare.Networking.Dht;
using P2PShare.Networking.Udp;

namespace P2PShare.Cli.Commands;

/// <summary>'p2pshare dht get-peers INFOHASH': one DHT lookup, printed query by query like 'dig +trace'.</summary>
internal static class DhtCommand
{
    public static Command Create()
    {
        var infoHash = new Argument<string>("infohash") { Description = "The info-hash (40 hex or 32 base32 characters) or a magnet link." };
        var bootstrap = new Option<string[]>("--dht-bootstrap") { Description = "Bootstrap from this node (HOST:PORT; repeat for more) instead of the default routers." };
        var port = new Option<int>("--port") { Description = "UDP port for the node (0: any free).", DefaultValueFactory = _ => 0 };
        var bind = new Option<string?>("--bind") { Description = "Address to bind (default: all)." };
        var getPeers = new Command("get-peers", "Look up who has a torrent in the DHT, and show each query: node, hop, answer, nodes and peers returned.")
        {
            infoHash, bootstrap, port, bind,
        };
        getPeers.SetAction((parse, cancellationToken) => CliHost.RunAsync(parse, cancellationToken, async (services, ct) =>
        {
            var text = parse.GetValue(infoHash)!;
            InfoHash hash;
            if (MagnetLink.LooksLikeMagnet(text))
                hash = MagnetLink.Parse(text).InfoHash;
            else if (!InfoHash.TryParse(text, out hash!))
                throw new UserErrorException($"'{text}' is not an info-hash (40 hex or 32 base32 characters) or a magnet link");
            var address = IPAddress.Any;
            if (parse.GetValue(bind) is { } b && !IPAddress.TryParse(b, out address!))
                throw new UserErrorException($"--bind '{b}' is not an IP address");
            var routers = TorrentRunCommand.ParseDhtNodes(parse.GetValue(bootstrap) ?? []);
            if (routers.Count == 0 && EngineSettings.LocalOnlyRequestedByEnvironment)
                throw new UserErrorException($"{EngineSettings.LocalOnlyVariable}=1: the default DHT routers are off; name nodes with --dht-bootstrap");
            if (routers.Count == 0)
                routers = EngineSettings.DefaultDhtRouters;
            var loggers = services.GetRequiredService<ILoggerFactory>();
            var time = services.GetRequiredService<TimeProvider>();
            await using var udp = UdpPort.Bind(address, parse.GetValue(port), loggers.CreateLogger<UdpPort>());
            var dht = new DhtNode(new DhtOptions(), udp, time, new Random(), loggers.CreateLogger<DhtNode>());
            udp.AddHandler(dht);
            using var stop = CancellationTokenSource.CreateLinkedTokenSource(ct);
            var receive = udp.RunAsync(stop.Token);
            try
            {
                var known = await dht.BootstrapAsync(routers, ct).ConfigureAwait(false);
                Console.Out.WriteLine($"; bootstrap from {string.Join(", ", routers)}: {known} nodes known");
                var result = await dht.GetPeersAsync(hash, onPeer: null, ct).ConfigureAwait(false);
                foreach (var step in result.Steps)
                    Console.Out.WriteLine(string.Create(CultureInfo.InvariantCulture,
                        $"hop {step.Hop}  {step.Node.EndPoint,-22} {(step.Responded ? "answered" : "no answer"),-9}  nodes {step.NodesReturned,2}  peers {step.PeersReturned,3}"));
                Console.Out.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"; {result.QueriesSent} queries, {result.Responses} answers, {result.Hops} hops, {result.Elapsed.TotalMilliseconds:0} ms"));
                Console.Out.WriteLine($"; {result.Peers.Count} peers for {hash}");
                foreach (var peer in result.Peers)
                    Console.Out.WriteLine(peer);
                return result.Peers.Count > 0 ? CliHost.ExitOk : CliHost.ExitFailure;
            }
            finally
            {
                await stop.CancelAsync().ConfigureAwait(false);
                await receive.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
            }
        }));
        return new Command("dht", "Diagnose the DHT (BEP 5).") { getPeers };
    }
}
