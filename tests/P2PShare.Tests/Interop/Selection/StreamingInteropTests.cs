using System.Diagnostics;
using System.Net.Http.Headers;
using System.Text.RegularExpressions;
using P2PShare.Tests.Support;

namespace P2PShare.Tests.Interop.Selection;

/// <summary>
/// 'p2pshare stream' with Debian's ffmpeg/ffprobe, from a libtorrent seeder capped at 1 MB/s, of an MP4 made at test time
/// (testsrc, index at the end of the file as ffmpeg writes it by default): ffprobe reads its metadata within seconds,
/// a Range request in the middle is served long before an in-order download would get there, and ffmpeg decodes it all.
/// </summary>
[TestFixture]
[Category("Interop")]
[CancelAfter(120_000)]
public sealed partial class StreamingInteropTests
{
    private const int SeedRate = 1_000_000;
    private const int PieceLength = 64 * 1024;

    [Test]
    public async Task FfprobeRangeRequestAndFullDecodeWhileDownloading(CancellationToken ct)
    {
        RequiredTool.EnsureLibtorrent();
        var ffmpeg = RequiredTool.Ensure("ffmpeg");
        var ffprobe = RequiredTool.Ensure("ffprobe");
        await using var work = new TempDirectory("p2pshare-stream-");
        var video = work.Combine("seed", "video.mp4");
        Directory.CreateDirectory(Path.GetDirectoryName(video)!);
        // About 8 MB: 20 s of noisy test pattern at 3.2 Mbit/s (noise keeps the encoder at its bitrate).
        var (made, _) = await RunToolAsync(ffmpeg, ["-y", "-v", "error", "-f", "lavfi", "-i", "testsrc=size=320x240:rate=25", "-t", "20", "-vf", "noise=alls=40:allf=t",
            "-c:v", "libx264", "-preset", "ultrafast", "-b:v", "3200k", "-maxrate", "3200k", "-bufsize", "1600k", "-pix_fmt", "yuv420p", video], work.Path, ct);
        Assert.That(made, Is.EqualTo(0), "ffmpeg could not make the test video");
        var size = new FileInfo(video).Length;
        var torrent = await LibtorrentTorrent.CreateAsync(video, work.Combine("video.torrent"), PieceLength, cancellationToken: ct);
        await using var seeder = await LibtorrentPeer.StartSeedAsync(torrent.TorrentPath, work.Combine("seed"),
            o => o with { NoTrackers = true, UploadLimit = SeedRate }, ct);

        var started = Stopwatch.StartNew();
        await using var stream = P2PShareClient.Start(work.Path, "stream",
            ["stream", torrent.TorrentPath, "-o", work.CreateSubdirectory("out"), "--bind", "127.0.0.1", "--peer-port", "0", "--port", "0",
             "--peer", $"127.0.0.1:{seeder.Port}", "--give-up-after", "60", "--transport", "tcp", "--verbose"]);
        string? url = null;
        await Eventually.UntilAsync(() =>
        {
            var match = UrlPattern().Match(stream.Process.StdoutTail);
            url = match.Success ? match.Groups[1].Value : null;
            return url is not null;
        }, TimeSpan.FromSeconds(20), "the stream URL", cancellationToken: ct);
        var urlAt = started.Elapsed;

        // Time to first byte of the stream (from the process start: start-up, connecting the seeder, the first piece).
        using (var first = new HttpRequestMessage(HttpMethod.Get, url) { Headers = { Range = new RangeHeaderValue(0, 0) } })
        using (var firstResponse = await LoopbackHttp.Client.SendAsync(first, ct))
            Assert.That((int)firstResponse.StatusCode, Is.EqualTo(206));
        var firstByteAt = started.Elapsed;

        // A seek to the middle of the file: its pieces get deadlines ahead of everything else.
        var middle = size / 2;
        var rangeWatch = Stopwatch.StartNew();
        using var request = new HttpRequestMessage(HttpMethod.Get, url) { Headers = { Range = new RangeHeaderValue(middle, middle + 65_535) } };
        using var response = await LoopbackHttp.Client.SendAsync(request, ct);
        var body = await response.Content.ReadAsByteArrayAsync(ct);
        var rangeTime = rangeWatch.Elapsed;
        // How much the seeder had sent when the range was served: its first status line printed after now (every
        // 250 ms) is an upper bound (it also counts blocks sent twice or thrown away).
        var linesThen = seeder.Process.JsonLineCount;
        await Eventually.UntilAsync(() => seeder.Process.JsonLineCount >= linesThen + 2, TimeSpan.FromSeconds(10), "a fresh seeder status line", cancellationToken: ct);
        var uploadedAtSeek = seeder.Process.LastJsonLine(j => j.TryGetProperty("event", out var e) && e.GetString() == "status")!.Value
            .GetProperty("total_payload_upload").GetInt64();
        Assert.That((int)response.StatusCode, Is.EqualTo(206));
        Assert.That(response.Content.Headers.ContentRange?.ToString(), Is.EqualTo($"bytes {middle}-{middle + 65_535}/{size}"));
        var expected = new byte[65_536];
        await using (var original = File.OpenRead(video))
        {
            original.Position = middle;
            await original.ReadExactlyAsync(expected, ct);
        }
        Assert.That(body, SameBytes.As(expected), "the range's bytes");

        // ffprobe needs the start and the index at the end.
        var probeWatch = Stopwatch.StartNew();
        var (probed, probeOutput) = await RunToolAsync(ffprobe, ["-v", "error", "-show_entries", "format=duration:stream=codec_name,width,height", "-of", "default=nw=1", url!], work.Path, ct);
        var probeTime = probeWatch.Elapsed;
        Assert.That(probed, Is.EqualTo(0), probeOutput);
        Assert.That(probeOutput, Does.Contain("codec_name=h264").And.Contain("width=320").And.Contain("duration=20"));

        var decodeWatch = Stopwatch.StartNew();
        var (decoded, decodeOutput) = await RunToolAsync(ffmpeg, ["-v", "error", "-xerror", "-i", url!, "-f", "null", "-"], work.Path, ct);
        var decodeTime = decodeWatch.Elapsed;
        Assert.That(decoded, Is.EqualTo(0), decodeOutput);

        var inOrderToMiddle = TimeSpan.FromSeconds((double)middle / SeedRate);
        TestContext.Out.WriteLine($"video {size} bytes, seeder {SeedRate / 1e6:0.0} MB/s; URL printed after {urlAt.TotalSeconds:0.00} s, first byte after {firstByteAt.TotalSeconds:0.00} s");
        TestContext.Out.WriteLine($"seek: range at the middle served in {rangeTime.TotalSeconds:0.00} s (an in-order download reaches it after ~{inOrderToMiddle.TotalSeconds:0.0} s); "
            + $"the seeder had sent {uploadedAtSeek} bytes by then ({100.0 * uploadedAtSeek / size:0}% of the file)");
        TestContext.Out.WriteLine($"ffprobe {probeTime.TotalSeconds:0.00} s; ffmpeg decoded all in {decodeTime.TotalSeconds:0.00} s; total {started.Elapsed.TotalSeconds:0.0} s");
        // The seek is served long before an in-order download would get there: less than 60% of the file had been sent
        // when the middle arrived (usually 9-25%). When it fails, where the deadline blocks sat in the seeder's queue
        // (the stream's Debug log) says why.
        var sentShare = (double)uploadedAtSeek / size;
        if (sentShare >= 0.6)
            TestContext.Out.WriteLine(string.Join('\n', File.ReadLines(stream.LogFile).Where(l => l.Contains("Deadlines (") || l.Contains("Stream GET")).Take(40)));
        Assert.That(sentShare, Is.LessThan(0.6), "the range in the middle arrives before an in-order download would reach it");
        Assert.That(probeTime, Is.LessThan(TimeSpan.FromSeconds(5)), "ffprobe reads the metadata within a few seconds");
    }

    private static async Task<(int ExitCode, string Output)> RunToolAsync(string program, IEnumerable<string> arguments, string directory, CancellationToken ct)
    {
        await using var process = ExternalProcess.Start(program, arguments, workingDirectory: directory, name: Path.GetFileName(program));
        var code = await process.WaitForExitAsync(TimeSpan.FromSeconds(60), ct);
        return (code, process.OutputTail);
    }

    [GeneratedRegex(@"Streaming .* at (http://127\.0\.0\.1:\d+/\S+)")]
    private static partial Regex UrlPattern();
}
