using System.Globalization;
using System.Net;
using NUnit.Framework;

namespace P2PShare.Tests.Support;

/// <summary>
/// A home router in network namespaces: LAN (192.168.77.2, our client) — router (192.168.77.1 | 11.77.0.1) — WAN
/// (11.77.0.2, a remote peer). The router forwards and masquerades with nftables and runs Debian's miniupnpd
/// (nftables backend) with UPnP IGD or NAT-PMP/PCP. 11.77.0.0/24 exists only inside these namespaces (miniupnpd refuses
/// private or reserved external addresses, so the "internet" side needs a public-looking one); nothing routes out.
/// </summary>
public sealed class MiniUpnpdRouter : IAsyncDisposable
{
    public static readonly IPAddress LanClient = IPAddress.Parse("192.168.77.2");
    public static readonly IPAddress LanGateway = IPAddress.Parse("192.168.77.1");
    public static readonly IPAddress External = IPAddress.Parse("11.77.0.1");
    public static readonly IPAddress WanPeer = IPAddress.Parse("11.77.0.2");

    private MiniUpnpdRouter(NetworkNamespaces namespaces, string lan, string router, string wan, ExternalProcess daemon)
    {
        Namespaces = namespaces;
        Lan = lan;
        Router = router;
        Wan = wan;
        Daemon = daemon;
    }

    public NetworkNamespaces Namespaces { get; }

    public string Lan { get; }

    public string Router { get; }

    public string Wan { get; }

    public ExternalProcess Daemon { get; }

    public static async Task<MiniUpnpdRouter> StartAsync(string workDirectory, bool upnp, bool natPmp, CancellationToken cancellationToken)
    {
        var miniupnpd = RequiredTool.Ensure("miniupnpd");
        var nft = RequiredTool.Ensure("nft");
        var namespaces = new NetworkNamespaces();
        try
        {
            var lan = await namespaces.AddAsync("lan", cancellationToken);
            var router = await namespaces.AddAsync("rtr", cancellationToken);
            var wan = await namespaces.AddAsync("wan", cancellationToken);
            var (_, lanSide) = await namespaces.LinkAsync(lan, "192.168.77.2/24", router, "192.168.77.1/24", "l", cancellationToken);
            var (wanSide, _) = await namespaces.LinkAsync(router, "11.77.0.1/24", wan, "11.77.0.2/24", "w", cancellationToken);
            await namespaces.RunAsync(cancellationToken, "-n", lan, "route", "add", "default", "via", "192.168.77.1");
            await namespaces.ExecAsync(router, cancellationToken, "sysctl", "-q", "-w", "net.ipv4.ip_forward=1");
            var rules = Path.Combine(workDirectory, "router.nft");
            await File.WriteAllTextAsync(rules, $$"""
                table inet filter {
                  chain forward {
                    type filter hook forward priority 0; policy drop;
                    ct state established,related accept
                    iifname "{{lanSide}}" accept
                    jump forwardUPnP
                  }
                  chain forwardUPnP {
                  }
                  chain prerouting {
                    type nat hook prerouting priority -100; policy accept;
                    jump prerouteUPnP
                  }
                  chain postrouting {
                    type nat hook postrouting priority 100; policy accept;
                    jump postrouteUPnP
                    oifname "{{wanSide}}" masquerade
                  }
                  chain prerouteUPnP {
                  }
                  chain postrouteUPnP {
                  }
                }
                """, cancellationToken);
            await namespaces.ExecAsync(router, cancellationToken, nft, "-f", rules);
            var config = Path.Combine(workDirectory, "miniupnpd.conf");
            await File.WriteAllTextAsync(config, $"""
                ext_ifname={wanSide}
                listening_ip={lanSide}
                http_port=0
                enable_upnp={(upnp ? "yes" : "no")}
                enable_natpmp={(natPmp ? "yes" : "no")}
                secure_mode=yes
                system_uptime=no
                upnp_table_name=filter
                upnp_nat_table_name=filter
                upnp_forward_chain=forwardUPnP
                upnp_nat_chain=prerouteUPnP
                upnp_nat_postrouting_chain=postrouteUPnP
                uuid=3f6d1c2e-5a4b-4c3d-9e8f-{Random.Shared.NextInt64(0, 0xFFFFFFFFFFFF).ToString("x12", CultureInfo.InvariantCulture)}
                allow 1024-65535 192.168.77.0/24 1024-65535
                deny 0-65535 0.0.0.0/0 0-65535

                """, cancellationToken);
            var daemon = ExternalProcess.Start(namespaces.Ip, ["netns", "exec", router, miniupnpd, "-d", "-f", config, "-P", Path.Combine(workDirectory, "miniupnpd.pid")],
                name: "miniupnpd");
            var result = new MiniUpnpdRouter(namespaces, lan, router, wan, daemon);
            try
            {
                await Eventually.UntilAsync(() => daemon.OutputTail.Contains(natPmp ? "Listening for NAT-PMP" : "HTTP listening", StringComparison.Ordinal),
                    TimeSpan.FromSeconds(10), "miniupnpd listening", () => daemon.Describe(), cancellationToken: cancellationToken);
            }
            catch
            {
                await result.DisposeAsync();
                throw;
            }
            return result;
        }
        catch
        {
            await namespaces.DisposeAsync();
            throw;
        }
    }

    /// <summary>The router's NAT rules now (nft list of the UPnP chain): a mapping shows as a dnat to our client.</summary>
    public Task<string> NatRulesAsync(CancellationToken cancellationToken) =>
        Namespaces.ExecAsync(Router, cancellationToken, "nft", "list", "chain", "inet", "filter", "prerouteUPnP");

    public async ValueTask DisposeAsync()
    {
        await Daemon.DisposeAsync();
        await Namespaces.DisposeAsync();
    }
}
