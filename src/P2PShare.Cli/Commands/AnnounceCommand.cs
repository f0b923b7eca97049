using System.CommandLine;
using System.Net;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using P2PShare.Metainfo;
using P2PShare.Networking.Trackers;

namespace P2PShare.Cli.Commands;

/// <summary>
/// 'p2pshare announce x.torrent': asks every tracker of the torrent once ('started', then 'stopped' so
/// we do not linger in the swarm) and prints what each answered.
/// </summary>
internal static class AnnounceCommand
{
    private const int SamplePeers = 5;

    /// <summary>Shorter than the BEP 15 schedule: a person is waiting at the terminal.</summary>
    private static readonly TrackerOptions CliOptions = new()
    {
        HttpTimeout = TimeSpan.FromSeconds(15),
        HttpRetryAttempts = 1,
        UdpBaseTimeout = TimeSpan.FromSeconds(4),
        UdpMaxRetransmissions = 2,
    };

    public static Command Create()
    {
        var torrentArgument = new Argument<string>("torrent") { Description = "The .torrent file." };
        var portOption = new Option<int>("--port", "-p")
        {
            Description = "The port we tell trackers we listen on.",
            DefaultValueFactory = _ => 6881,
        };
        var jsonOption = new Option<bool>("--json") { Description = "Print the results as JSON." };
        var command = new Command("announce", "Announce once to every tracker of a torrent and show what each answers.")
        {
            torrentArgument,
            portOption,
            jsonOption,
        };
        command.Aliases.Add("trackers");
        command.SetAction((parse, ct) => CliHost.RunAsync(parse, ct, async (services, token) =>
        {
            var port = parse.GetValue(portOption);
            if (port is < 1 or > ushort.MaxValue)
                throw new UserErrorException($"--port {port} is not a port (1-65535)");
            var torrent = await TorrentParser.LoadAsync(parse.GetValue(torrentArgument)!, token).ConfigureAwait(false);
            if (!torrent.Trackers.Any())
                throw new UserErrorException("this torrent lists no trackers");
            var results = await AnnounceAllAsync(torrent, port, services, token).ConfigureAwait(false);
            Console.Out.Write(parse.GetValue(jsonOption) ? ToJson(results) : ToText(results));
            return results.Any(r => r.Response is not null) ? CliHost.ExitOk : CliHost.ExitFailure;
        }));
        return command;
    }

    internal sealed record TrackerResult(string Url, int Tier, AnnounceResponse? Response, string? Error);

    private static async Task<IReadOnlyList<TrackerResult>> AnnounceAllAsync(Torrent torrent, int port, IServiceProvider services, CancellationToken ct)
    {
        var loggerFactory = services.GetRequiredService<ILoggerFactory>();
        var logger = loggerFactory.CreateLogger("P2PShare.Cli.Announce");
        var time = services.GetRequiredService<TimeProvider>();
        var key = (uint)RandomNumberGenerator.GetInt32(int.MaxValue);
        var peerId = NewPeerId();
        using var http = HttpTrackerClient.CreateHttpClient(CliOptions);
        await using var udp = UdpTrackerSocket.Open(logger);
        var randomizer = TrackerResilience.Randomizer(new Random());
        var jobs = torrent.AnnounceTiers
            .SelectMany((tier, index) => tier.Select(url => (Url: url, Tier: index + 1)))
            .DistinctBy(t => t.Url)
            .Select(t => AnnounceOneAsync(t.Url, t.Tier))
            .ToList();
        return await Task.WhenAll(jobs).ConfigureAwait(false);

        async Task<TrackerResult> AnnounceOneAsync(string url, int tier)
        {
            if (!Uri.TryCreate(url, UriKind.Absolute, out var uri))
                return new TrackerResult(url, tier, null, "not a valid URL");
            var client = TrackerClientFactory.TryCreate(uri, http, CliOptions, key, time, logger, udp);
            if (client is null)
                return new TrackerResult(url, tier, null, $"unsupported scheme '{uri.Scheme}'");
            try
            {
                var pipeline = TrackerResilience.CreateTrackerPipeline(uri, CliOptions, time, randomizer, logger);
                var started = Request(AnnounceEvent.Started);
                var response = await pipeline.ExecuteAsync(
                    async token => await client.AnnounceAsync(started, token).ConfigureAwait(false), ct).ConfigureAwait(false);
                await StopAsync(client).ConfigureAwait(false);
                return new TrackerResult(url, tier, response, null);
            }
            catch (Exception error) when (error is not OperationCanceledException || !ct.IsCancellationRequested)
            {
                logger.LogWarning("Tracker {Tracker} failed: {Error}", url, TrackerResilience.Describe(error));
                return new TrackerResult(url, tier, null, TrackerResilience.Describe(error));
            }
            finally
            {
                if (client is IAsyncDisposable disposable)
                    await disposable.DisposeAsync().ConfigureAwait(false);
            }
        }

        async Task StopAsync(ITrackerClient client)
        {
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
            timeout.CancelAfter(CliOptions.StoppedTimeout);
            try
            {
                await client.AnnounceAsync(Request(AnnounceEvent.Stopped), timeout.Token).ConfigureAwait(false);
            }
            catch (Exception error) when (!ct.IsCancellationRequested)
            {
                logger.LogInformation("Tracker {Tracker}: 'stopped' not delivered: {Error}", client.Uri, TrackerResilience.Describe(error));
            }
        }

        AnnounceRequest Request(AnnounceEvent announceEvent) =>
            new(torrent.InfoHash, peerId, port, Uploaded: 0, Downloaded: 0, Left: torrent.TotalLength, announceEvent, NumWant: 50);
    }

    private static byte[] NewPeerId()
    {
        // Azureus style: client tag and version, then random bytes.
        var peerId = new byte[20];
        Encoding.ASCII.GetBytes("-PS0001-", peerId);
        RandomNumberGenerator.Fill(peerId.AsSpan(8));
        return peerId;
    }

    internal static string ToText(IReadOnlyList<TrackerResult> results)
    {
        var text = new StringBuilder();
        foreach (var result in results)
        {
            text.Append("tier ").Append(result.Tier).Append("  ").AppendLine(result.Url);
            if (result.Response is not { } response)
            {
                text.Append("  failed: ").AppendLine(result.Error);
                continue;
            }
            text.Append("  ").Append(response.Peers.Count).Append(" peer(s)");
            if (response.Peers.Count > 0)
                text.Append(": ").Append(string.Join(", ", response.Peers.Take(SamplePeers))).Append(response.Peers.Count > SamplePeers ? ", …" : "");
            text.AppendLine();
            text.Append("  seeders ").Append(response.Seeders?.ToString() ?? "?")
                .Append(", leechers ").Append(response.Leechers?.ToString() ?? "?")
                .Append(", interval ").Append((int)response.Interval.TotalSeconds).Append(" s");
            if (response.MinInterval is { } min)
                text.Append(" (min ").Append((int)min.TotalSeconds).Append(" s)");
            text.AppendLine();
            if (response.WarningMessage is not null)
                text.Append("  warning: ").AppendLine(response.WarningMessage);
        }
        return text.ToString();
    }

    internal static string ToJson(IReadOnlyList<TrackerResult> results)
    {
        using var stream = new MemoryStream();
        using (var json = new Utf8JsonWriter(stream, new JsonWriterOptions { Indented = true }))
        {
            json.WriteStartArray();
            foreach (var result in results)
            {
                json.WriteStartObject();
                json.WriteString("url", result.Url);
                json.WriteNumber("tier", result.Tier);
                json.WriteBoolean("ok", result.Response is not null);
                if (result.Response is { } response)
                {
                    json.WriteNumber("peerCount", response.Peers.Count);
                    json.WriteStartArray("peers");
                    foreach (var peer in response.Peers.Take(SamplePeers))
                        json.WriteStringValue(peer.ToString());
                    json.WriteEndArray();
                    WriteOptional(json, "seeders", response.Seeders);
                    WriteOptional(json, "leechers", response.Leechers);
                    json.WriteNumber("intervalSeconds", (long)response.Interval.TotalSeconds);
                    WriteOptional(json, "minIntervalSeconds", response.MinInterval is { } min ? (int)min.TotalSeconds : null);
                    if (response.WarningMessage is not null)
                        json.WriteString("warning", response.WarningMessage);
                }
                else
                {
                    json.WriteString("error", result.Error);
                }
                json.WriteEndObject();
            }
            json.WriteEndArray();
        }
        return Encoding.UTF8.GetString(stream.ToArray()) + Environment.NewLine;
    }

    private static void WriteOptional(Utf8JsonWriter json, string name, int? value)
    {
        if (value is { } number)
            json.WriteNumber(name, number);
        else
            json.WriteNull(name);
    }
}
