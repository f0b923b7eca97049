using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text;
using Microsoft.Extensions.Logging.Abstractions;
using P2PShare.Networking.PortMapping;

namespace P2PShare.Tests.Networking.PortMapping;

/// <summary>
/// A broken or hostile router, on 127.0.0.1: an SSDP responder whose LOCATION points at an HTTP server that never
/// answers, sends 10 MB, or sends malformed XML. The port mapper starts at once, gives up within its bounds with the
/// reason, reads no more than its limit, and stops at once.
/// </summary>
public sealed class BrokenRouterTests
{
    public enum Breakage { NeverAnswers, TenMegabytes, MalformedXml }

    [TestCase(Breakage.NeverAnswers, "did not answer")]
    [TestCase(Breakage.TenMegabytes, "more than 65536 bytes")]
    [TestCase(Breakage.MalformedXml, "not well-formed")]
    [CancelAfter(20_000)]
    public async Task Mapper_gives_up_on_a_broken_router_within_its_bounds(Breakage breakage, string reason, CancellationToken cancellationToken)
    {
        using var http = new TcpListener(IPAddress.Loopback, 0);
        http.Start();
        var httpPort = ((IPEndPoint)http.LocalEndpoint).Port;
        long bytesServed = 0;
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var server = ServeAsync(http, breakage, n => Interlocked.Add(ref bytesServed, n), stop.Token);
        using var ssdp = new UdpClient(new IPEndPoint(IPAddress.Loopback, 0));
        var responder = RespondAsync(ssdp, $"http://127.0.0.1:{httpPort}/rootDesc.xml", stop.Token);

        var options = new PortMappingOptions
        {
            NatPmp = false,
            Pcp = false,
            SsdpEndPoint = (IPEndPoint)ssdp.Client.LocalEndPoint!,
            SearchTime = TimeSpan.FromMilliseconds(500),
            HttpTimeout = TimeSpan.FromSeconds(1),
        };
        var clock = Stopwatch.StartNew();
        var mapper = new PortMapper(6881, IPAddress.Any, options, TimeProvider.System, NullLogger.Instance);
        var settled = new TaskCompletionSource<PortMappingStatus>(TaskCreationOptions.RunContinuationsAsynchronously);
        mapper.StatusChanged += s => { if (s.State == PortMappingState.NotMapped) settled.TrySetResult(s); };
        mapper.Start();
        var startTook = clock.Elapsed;
        var status = await settled.Task.WaitAsync(TimeSpan.FromSeconds(8), cancellationToken);
        var gaveUpAfter = clock.Elapsed;
        clock.Restart();
        await mapper.DisposeAsync();
        var disposeTook = clock.Elapsed;
        await stop.CancelAsync();
        await Task.WhenAll(server, responder).WaitAsync(TimeSpan.FromSeconds(5), CancellationToken.None).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);

        TestContext.Out.WriteLine($"{breakage}: Start {startTook.TotalMilliseconds:0} ms, not mapped after {gaveUpAfter.TotalSeconds:0.00} s " +
            $"({status.Reason}); served {Interlocked.Read(ref bytesServed)} bytes; dispose {disposeTook.TotalMilliseconds:0} ms");
        Assert.That(startTook, Is.LessThan(TimeSpan.FromMilliseconds(200)), "Start never waits for the router");
        Assert.That(status.Reason, Does.Contain(reason));
        Assert.That(gaveUpAfter, Is.LessThan(TimeSpan.FromSeconds(4)), "search window + one HTTP timeout");
        Assert.That(disposeTook, Is.LessThan(TimeSpan.FromSeconds(2)));
        if (breakage == Breakage.TenMegabytes)
            Assert.That(Interlocked.Read(ref bytesServed), Is.LessThan(10_000_000), "the client stopped reading at its limit");
    }

    private static async Task RespondAsync(UdpClient socket, string location, CancellationToken cancellationToken)
    {
        var answer = Encoding.ASCII.GetBytes($"HTTP/1.1 200 OK\r\nST: urn:schemas-upnp-org:device:InternetGatewayDevice:1\r\nLOCATION: {location}\r\n\r\n");
        try
        {
            while (true)
            {
                var search = await socket.ReceiveAsync(cancellationToken);
                await socket.SendAsync(answer, search.RemoteEndPoint, cancellationToken);
            }
        }
        catch (OperationCanceledException)
        {
        }
    }

    private static async Task ServeAsync(TcpListener listener, Breakage breakage, Action<int> served, CancellationToken cancellationToken)
    {
        try
        {
            while (true)
            {
                var client = await listener.AcceptTcpClientAsync(cancellationToken);
                _ = Task.Run(async () =>
                {
                    using var _ = client;
                    var stream = client.GetStream();
                    var request = new byte[4096];
                    await stream.ReadAtLeastAsync(request, 1, throwOnEndOfStream: false, cancellationToken);
                    try
                    {
                        switch (breakage)
                        {
                            case Breakage.NeverAnswers:
                                await Task.Delay(Timeout.Infinite, cancellationToken);
                                break;
                            case Breakage.TenMegabytes:
                                await stream.WriteAsync(Encoding.ASCII.GetBytes("HTTP/1.1 200 OK\r\nContent-Type: text/xml\r\nConnection: close\r\n\r\n"), cancellationToken);
                                var chunk = Encoding.ASCII.GetBytes(string.Concat(Enumerable.Repeat("<a>", 21_846)));
                                for (var sent = 0; sent < 10_000_000; sent += chunk.Length)
                                {
                                    await stream.WriteAsync(chunk, cancellationToken);
                                    served(chunk.Length);
                                }
                                break;
                            case Breakage.MalformedXml:
                                var body = Encoding.ASCII.GetBytes("<root><device><serviceList><service><serviceType>urn:x</service>");
                                await stream.WriteAsync(Encoding.ASCII.GetBytes($"HTTP/1.1 200 OK\r\nContent-Length: {body.Length}\r\nConnection: close\r\n\r\n"), cancellationToken);
                                await stream.WriteAsync(body, cancellationToken);
                                served(body.Length);
                                break;
                        }
                    }
                    catch (Exception error) when (error is IOException or OperationCanceledException or SocketException)
                    {
                        // The client hung up (as it should), or the test ended.
                    }
                }, cancellationToken);
            }
        }
        catch (OperationCanceledException)
        {
        }
    }
}
