using System.Diagnostics;
using P2PShare.Networking.Encryption;
using P2PShare.Tests.Encryption;

// Prints the RC4 keystream speed (MB/s of process CPU time and of wall time, MB = 10^6 bytes) of the library's
// Rc4 on 16 KiB blocks (one BitTorrent block, decrypted in place as the peer connection does), beside the
// textbook byte loop. Usage: dotnet bench-rc4.dll [MiB per round] [rounds]. The median of the rounds is the
// figure to quote; on a shared machine read CPU MB/s, not wall.
var mib = args.Length > 0 ? int.Parse(args[0], System.Globalization.CultureInfo.InvariantCulture) : 256;
var rounds = args.Length > 1 ? int.Parse(args[1], System.Globalization.CultureInfo.InvariantCulture) : 5;
var block = new byte[16 * 1024];
new Random(1).NextBytes(block);
var blocks = mib * 64;

var ours = Rc4.ForMse("bench-rc4 key"u8);
var textbook = new ReferenceRc4("bench-rc4 key"u8);
var oursRuns = new List<(double Cpu, double Wall)>();
var textbookRuns = new List<(double Cpu, double Wall)>();
Measure(b => ours.Transform(b), 64); // JIT and caches
for (var r = 0; r < rounds; r++)
{
    oursRuns.Add(Measure(b => ours.Transform(b), blocks));
    textbookRuns.Add(Measure(b => textbook.Transform(b), blocks / 4));
}
Report("Rc4 (P2PShare)", oursRuns);
Report("textbook byte loop", textbookRuns);
Console.WriteLine($"load average {File.ReadAllText("/proc/loadavg").Trim()}");

(double Cpu, double Wall) Measure(Action<Span<byte>> transform, int count)
{
    var cpu = Process.GetCurrentProcess().TotalProcessorTime;
    var clock = Stopwatch.StartNew();
    for (var i = 0; i < count; i++)
        transform(block);
    clock.Stop();
    var cpuSeconds = Math.Max((Process.GetCurrentProcess().TotalProcessorTime - cpu).TotalSeconds, 1e-3);
    double bytes = (double)count * block.Length;
    return (bytes / cpuSeconds / 1e6, bytes / clock.Elapsed.TotalSeconds / 1e6);
}

static void Report(string name, List<(double Cpu, double Wall)> runs)
{
    var cpu = runs.Select(r => r.Cpu).Order().ToList();
    var wall = runs.Select(r => r.Wall).Order().ToList();
    Console.WriteLine($"{name,-20} median {cpu[cpu.Count / 2],6:0} MB/s CPU ({string.Join(" ", runs.Select(r => r.Cpu.ToString("0", System.Globalization.CultureInfo.InvariantCulture)))}), " +
                      $"{wall[wall.Count / 2],6:0} MB/s wall");
}
