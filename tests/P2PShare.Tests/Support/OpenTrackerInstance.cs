using System.Text;

namespace P2PShare.Tests.Support;

/// <summary>
/// Debian's opentracker on 127.0.0.1 (scripts/swarm/opentracker.sh): HTTP and UDP announces on one port.
/// Its build only tracks whitelisted info-hashes: pass them to <see cref="StartAsync"/> or call
/// <see cref="WhitelistAsync"/> before announcing. Its announce interval is ~30 min, so a peer that
/// joins later is only learnt at a client's next announce.
/// </summary>
public sealed class OpenTrackerInstance : IAsyncDisposable
{
    private readonly ExternalProcess _process;
    private readonly TempDirectory? _ownedDirectory;

    private OpenTrackerInstance(ExternalProcess process, int port, string directory, TempDirectory? ownedDirectory)
    {
        _process = process;
        Port = port;
        Directory = directory;
        _ownedDirectory = ownedDirectory;
    }

    public int Port { get; }

    /// <summary>The tracker's directory (config, whitelist.txt); the chroot when run as root.</summary>
    public string Directory { get; }

    public string HttpAnnounceUrl => $"http://127.0.0.1:{Port}/announce";

    public string UdpAnnounceUrl => $"udp://127.0.0.1:{Port}/announce";

    public ExternalProcess Process => _process;

    /// <summary>
    /// Starts opentracker on a free port. <paramref name="workDirectory"/> (created if missing) holds its
    /// files; when null a temp directory is made and deleted on dispose.
    /// </summary>
    public static async Task<OpenTrackerInstance> StartAsync(IEnumerable<string>? infoHashes = null, string? workDirectory = null,
        CancellationToken cancellationToken = default)
    {
        RequiredTool.Ensure("opentracker");
        var hashes = (infoHashes ?? []).Select(NormalizeHash).ToArray();
        var owned = workDirectory is null ? new TempDirectory("p2pshare-opentracker-") : null;
        var root = workDirectory ?? owned!.Path;
        try
        {
            for (var attempt = 1; ; attempt++)
            {
                var port = FreePort.Get();
                var directory = Path.Combine(root, $"tracker-{port}");
                var args = new List<string> { SwarmScripts.Path("opentracker.sh"), "run", "--port", port.ToString(), "--dir", directory };
                foreach (var hash in hashes)
                {
                    args.AddRange(["--hash", hash]);
                }
                var process = ExternalProcess.Start("/bin/bash", args, name: "opentracker");
                var ready = await WaitListeningAsync(process, port, cancellationToken).ConfigureAwait(false);
                if (ready)
                {
                    var tracker = new OpenTrackerInstance(process, port, directory, owned);
                    foreach (var hash in hashes)
                    {
                        await tracker.WaitUntilTrackedAsync(hash, cancellationToken).ConfigureAwait(false);
                    }
                    return tracker;
                }
                var description = process.Describe();
                await process.DisposeAsync().ConfigureAwait(false);
                if (attempt >= 3)
                {
                    Assert.Fail($"opentracker did not start after {attempt} attempts.{Environment.NewLine}{description}");
                }
            }
        }
        catch
        {
            owned?.Dispose();
            throw;
        }
    }

    /// <summary>A count ('complete', 'incomplete', 'downloaded') from an HTTP scrape of one info-hash (40 hex); 0 when absent.</summary>
    public async Task<int> ScrapeCountAsync(string infoHashHex, string key, CancellationToken cancellationToken = default)
    {
        var hash = UrlEncodeBytes(Convert.FromHexString(NormalizeHash(infoHashHex)));
        var reply = await GetAsync($"http://127.0.0.1:{Port}/scrape?info_hash={hash}", cancellationToken).ConfigureAwait(false);
        var match = System.Text.RegularExpressions.Regex.Match(Encoding.Latin1.GetString(reply), $@"{key.Length}:{key}i(\d+)e");
        return match.Success ? int.Parse(match.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture) : 0;
    }

    /// <summary>Adds an info-hash (40 hex) to the whitelist, reloads (SIGHUP) and waits until the tracker accepts it.</summary>
    public async Task WhitelistAsync(string infoHashHex, CancellationToken cancellationToken = default)
    {
        var hash = NormalizeHash(infoHashHex);
        await File.AppendAllTextAsync(Path.Combine(Directory, "whitelist.txt"), hash + "\n", cancellationToken).ConfigureAwait(false);
        _process.Hangup();
        await WaitUntilTrackedAsync(hash, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// Sends an HTTP announce with event=stopped (it adds no peer) and returns the raw bencoded reply;
    /// a hash off the whitelist gets a "failure reason" reply.
    /// </summary>
    public async Task<byte[]> ProbeAnnounceAsync(string infoHashHex, CancellationToken cancellationToken = default)
    {
        var hash = Convert.FromHexString(NormalizeHash(infoHashHex));
        var url = $"{HttpAnnounceUrl}?info_hash={UrlEncodeBytes(hash)}&peer_id=-HT0001-probeprobe00&port=1&uploaded=0&downloaded=0&left=0&event=stopped&numwant=0&compact=1";
        return await GetAsync(url, cancellationToken).ConfigureAwait(false);
    }

    private static async Task<byte[]> GetAsync(string url, CancellationToken cancellationToken)
    {
        // opentracker now and then resets a connection instead of answering (seen once in a CI run): one more try, bounded.
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                // opentracker closes a connection after answering without saying so: a pooled one would be reset on reuse.
                using var request = new HttpRequestMessage(HttpMethod.Get, url);
                request.Headers.ConnectionClose = true;
                using var response = await LoopbackHttp.Client.SendAsync(request, cancellationToken).ConfigureAwait(false);
                return await response.EnsureSuccessStatusCode().Content.ReadAsByteArrayAsync(cancellationToken).ConfigureAwait(false);
            }
            catch (HttpRequestException error) when (attempt < 3 && error.InnerException is IOException)
            {
                await Task.Delay(TimeSpan.FromMilliseconds(100 * attempt), cancellationToken).ConfigureAwait(false);
            }
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _process.DisposeAsync().ConfigureAwait(false);
        _ownedDirectory?.Dispose();
    }

    private async Task WaitUntilTrackedAsync(string hash, CancellationToken cancellationToken) =>
        await Eventually.UntilAsync(async () =>
        {
            var reply = Encoding.Latin1.GetString(await ProbeAnnounceAsync(hash, cancellationToken).ConfigureAwait(false));
            return !reply.Contains("failure reason", StringComparison.Ordinal);
        }, TimeSpan.FromSeconds(10), $"opentracker to accept info-hash {hash}", _process.Describe,
            cancellationToken: cancellationToken).ConfigureAwait(false);

    private static async Task<bool> WaitListeningAsync(ExternalProcess process, int port, CancellationToken cancellationToken)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(10);
        while (DateTime.UtcNow < deadline)
        {
            if (process.HasExited)
            {
                return false;
            }
            if (await LoopbackHttp.IsListeningAsync(port, cancellationToken).ConfigureAwait(false))
            {
                return true;
            }
            await Task.Delay(50, cancellationToken).ConfigureAwait(false);
        }
        return false;
    }

    internal static string NormalizeHash(string infoHashHex)
    {
        var hash = infoHashHex.Trim().ToLowerInvariant();
        if (hash.Length != 40 || !hash.All(Uri.IsHexDigit))
        {
            throw new ArgumentException($"not a 40-hex info-hash: '{infoHashHex}'", nameof(infoHashHex));
        }
        return hash;
    }

    private static string UrlEncodeBytes(byte[] bytes)
    {
        var builder = new StringBuilder(bytes.Length * 3);
        foreach (var b in bytes)
        {
            builder.Append('%').Append(b.ToString("x2", System.Globalization.CultureInfo.InvariantCulture));
        }
        return builder.ToString();
    }
}
