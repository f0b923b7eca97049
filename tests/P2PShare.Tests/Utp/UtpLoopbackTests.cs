using System.Diagnostics;
using System.Net;
using System.Security.Cryptography;
using Microsoft.Extensions.Logging.Abstractions;
using P2PShare.Networking.Udp;
using P2PShare.Networking.Utp;

namespace P2PShare.Tests.Utp;

/// <summary>Two of our uTP managers on real UDP ports of 127.0.0.1.</summary>
[TestFixture]
public sealed class UtpLoopbackTests
{
    [Test, CancelAfter(60_000)]
    public async Task MovesEightMebibytesBetweenTwoManagersOverRealUdpPorts(CancellationToken ct)
    {
        var data = RandomNumberGenerator.GetBytes(8 << 20);
        await using var portA = UdpPort.Bind(IPAddress.Loopback, 0, NullLogger.Instance);
        await using var portB = UdpPort.Bind(IPAddress.Loopback, 0, NullLogger.Instance);
        await using var managerA = new UtpSocketManager(portA);
        await using var managerB = new UtpSocketManager(portB);
        portA.AddHandler(managerA);
        portB.AddHandler(managerB);
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(ct);
        var receiveA = portA.RunAsync(stop.Token);
        var receiveB = portB.RunAsync(stop.Token);

        var accept = managerB.AcceptAsync(ct).AsTask();
        await using var client = await managerA.ConnectAsync(new IPEndPoint(IPAddress.Loopback, portB.Port), ct);
        await using var server = await accept;
        Assert.That(server.IsIncoming, Is.True);
        Assert.That(server.RemoteEndPoint.Port, Is.EqualTo(portA.Port));

        var watch = Stopwatch.StartNew();
        var send = Task.Run(async () =>
        {
            for (var offset = 0; offset < data.Length; offset += 16 * 1024 + 13)
                await client.WriteAsync(data.AsMemory(offset, Math.Min(16 * 1024 + 13, data.Length - offset)), ct);
            client.Dispose();
        }, ct);
        var received = await ReadToEndAsync(server, data.Length, ct);
        watch.Stop();
        await send;

        Assert.That(SHA256.HashData(received), Is.EqualTo(SHA256.HashData(data)));
        var stats = server.Statistics;
        TestContext.Out.WriteLine($"8 MiB over loopback uTP in {watch.Elapsed.TotalMilliseconds:0} ms = " +
            $"{data.Length / watch.Elapsed.TotalSeconds / 1e6:0.0} MB/s; sender {client.Statistics}; receiver {stats}");
        await stop.CancelAsync();
        await Task.WhenAll(receiveA, receiveB);
    }

    /// <summary>Reads until <paramref name="expected"/> bytes and then the end of the stream.</summary>
    internal static async Task<byte[]> ReadToEndAsync(Stream stream, int expected, CancellationToken ct)
    {
        var buffer = new byte[expected];
        var total = 0;
        while (total < expected)
        {
            var n = await stream.ReadAsync(buffer.AsMemory(total), ct);
            if (n == 0)
                throw new EndOfStreamException($"stream ended after {total} of {expected} bytes");
            total += n;
        }
        var extra = new byte[1];
        Assert.That(await stream.ReadAsync(extra, ct), Is.Zero, "no bytes after the expected ones, then the FIN");
        return buffer;
    }
}
