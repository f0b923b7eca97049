using System.Net;
using P2PShare.Bencode;
using P2PShare.Metainfo;
using P2PShare.Networking.Trackers;

namespace P2PShare.Tests.Trackers;

internal static class TrackerTestData
{
    public static InfoHash Hash(byte seed) => new(Enumerable.Range(0, 20).Select(i => (byte)(seed + i * 7)).ToArray());

    /// <summary>A peer id with bytes that need percent-encoding (0x00, space, '%', '&amp;', 0xff).</summary>
    public static byte[] PeerId(string prefix = "-PS0001-") =>
        [.. System.Text.Encoding.ASCII.GetBytes(prefix), 0x00, 0x20, 0x25, 0x26, 0xff, 0x7e, 0x2d, 0x41, 0x80, 0x3d, 0x2b, 0x2f];

    public static AnnounceRequest Request(InfoHash hash, AnnounceEvent announceEvent = AnnounceEvent.Started, byte[]? peerId = null, int port = 6881) =>
        new(hash, peerId ?? PeerId(), port, Uploaded: 1, Downloaded: 2, Left: 3, announceEvent, NumWant: 50);

    public static byte[] Encode(params (string Key, BValue Value)[] entries)
    {
        var dictionary = new BDictionary();
        foreach (var (key, value) in entries)
            dictionary[key] = value;
        return BencodeEncoder.Encode(dictionary);
    }

    public static BString CompactPeers(params string[] endpoints) =>
        new(P2PShare.Protocol.Tracker.CompactPeerList.Encode(endpoints.Select(IPEndPoint.Parse), 4));

    public static BString CompactPeers6(params string[] endpoints) =>
        new(P2PShare.Protocol.Tracker.CompactPeerList.Encode(endpoints.Select(IPEndPoint.Parse), 16));

    /// <summary>Waits for a condition, polling, with a deadline (never a fixed sleep as synchronisation).</summary>
    public static async Task WaitUntilAsync(Func<bool> condition, TimeSpan timeout, string what)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (!condition())
        {
            if (DateTime.UtcNow > deadline)
                Assert.Fail($"timed out after {timeout.TotalSeconds} s waiting for {what}");
            await Task.Delay(10);
        }
    }
}
