// The P2PShare library from another program: download one torrent, print progress, exit when it is complete.
//
//   dotnet run --project docs/sample -- FILE.torrent OUTPUT_DIR [--peer IP:PORT]... [--no-dht]
using System.Net;
using P2PShare.Engine;
using P2PShare.Hosting;

if (args.Length < 2)
{
    Console.Error.WriteLine("usage: P2PShareSample FILE.torrent|MAGNET OUTPUT_DIR [--peer IP:PORT]... [--no-dht]");
    return 2;
}

var peers = new List<IPEndPoint>();
for (var i = 2; i < args.Length; i++)
{
    if (args[i] == "--peer" && i + 1 < args.Length)
        peers.Add(IPEndPoint.Parse(args[++i]));
}
var noDht = args.Contains("--no-dht");

// Port 0: any free port. The DHT bootstraps from the public routers unless turned off.
await using var client = TorrentClient.Start(new EngineSettings { Port = 0, Dht = !noDht, ListenAddress = IPAddress.Loopback });
var options = new TorrentAddOptions { Peers = peers, SeedAfterDownload = false };
var torrent = args[0].StartsWith("magnet:", StringComparison.OrdinalIgnoreCase)
    ? client.AddMagnet(args[0], args[1], options)
    : client.AddTorrent(args[0], args[1], options);

torrent.ProgressChanged += (_, p) =>
    Console.WriteLine($"progress {p.Fraction:P1} {p.VerifiedBytes}/{p.TotalLength} bytes, {p.DownloadRate / 1024:0} KiB/s, {p.Peers} peers");
torrent.Completed += (_, done) =>
    Console.WriteLine($"complete {done.Name} {done.InfoHash} {done.Downloaded} bytes in {done.Elapsed.TotalSeconds:0.0} s -> {done.ContentPath}");

using var stop = new CancellationTokenSource(TimeSpan.FromMinutes(10));
Console.CancelKeyPress += (_, e) => { e.Cancel = true; stop.Cancel(); };
try
{
    await torrent.WhenCompleteAsync(stop.Token);
    Console.WriteLine($"done {torrent.Name}");
    return 0;
}
catch (Exception error)
{
    Console.Error.WriteLine($"failed: {torrent.Error ?? error.Message}");
    return 1;
}
