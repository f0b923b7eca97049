using System.Security.Cryptography;
using P2PShare.Metainfo;
using P2PShare.Networking.Encryption;
using P2PShare.Protocol.Wire;
using P2PShare.Tests.Support;

namespace P2PShare.Tests.Encryption;

internal static class MseTestData
{
    /// <summary>Short timeouts for in-memory handshakes that must fail fast.</summary>
    public static MseOptions Fast { get; } = new() { StepTimeout = TimeSpan.FromSeconds(2), HandshakeTimeout = TimeSpan.FromSeconds(5) };

    /// <summary>No padding: every field of the initiator's bytes at a known offset.</summary>
    public static MseOptions Unpadded { get; } = Fast with { PadLength = 0 };

    public static InfoHash Hash(int n) => new(SHA1.HashData([(byte)n]));

    public static byte[] BitTorrentHandshake(InfoHash hash)
    {
        var bytes = new byte[Handshake.Size];
        new Handshake(0, hash, new PeerId("-P20000-abcdefghijkl"u8)).WriteTo(bytes);
        return bytes;
    }

    /// <summary>Sends <paramref name="length"/> random bytes from <paramref name="from"/> and checks <paramref name="to"/> receives them.</summary>
    public static async Task TransferAsync(Stream from, Stream to, int length, int seed, CancellationToken ct)
    {
        var data = new byte[length];
        new Random(seed).NextBytes(data);
        var send = Task.Run(async () =>
        {
            for (var offset = 0; offset < length; offset += 16 * 1024)
                await from.WriteAsync(data.AsMemory(offset, Math.Min(16 * 1024, length - offset)), ct);
            await from.FlushAsync(ct);
        }, ct);
        var received = new byte[length];
        await to.ReadExactlyAsync(received, ct);
        await send;
        Assert.That(received, SameBytes.As(data), "payload differs after the handshake");
    }
}
