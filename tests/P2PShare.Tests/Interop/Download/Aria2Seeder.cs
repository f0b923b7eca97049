using P2PShare.Tests.Support;

namespace P2PShare.Tests.Interop.Download;

/// <summary>An <see cref="Aria2Peer"/> seeding (trackers off, RPC on), returned once it has verified all the data.</summary>
internal static class Aria2Seeder
{
    public static async Task<Aria2Peer> StartAsync(string torrentPath, string dataDirectory, CancellationToken cancellationToken,
        int uploadLimitBytesPerSecond = 0)
    {
        var peer = await Aria2Peer.StartAsync(new Aria2PeerOptions(torrentPath, dataDirectory)
        {
            Seed = true,
            NoTrackers = true,
            UploadLimit = uploadLimitBytesPerSecond,
        }, cancellationToken);
        try
        {
            await peer.WaitForStatusAsync(s => s.IsComplete, TimeSpan.FromSeconds(30), "aria2c to verify the data and seed", cancellationToken);
            return peer;
        }
        catch
        {
            await peer.DisposeAsync();
            throw;
        }
    }
}
