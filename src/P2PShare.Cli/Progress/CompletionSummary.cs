using System.Globalization;
using System.Text.Json.Nodes;
using P2PShare.Cli.Output;
using P2PShare.Hosting;

namespace P2PShare.Cli.Progress;

/// <summary>What is printed (or emitted as JSON) when a download completes: time, average rate, bytes per source, ratio.</summary>
internal static class CompletionSummary
{
    public static string Text(DownloadCompletion c)
    {
        var sources = c.BySource.Count == 0 ? "none (all data was already there)"
            : string.Join(", ", c.BySource.OrderByDescending(s => s.Value).Select(s => $"{s.Key.ToString().ToLowerInvariant()} {ByteSize.Format(s.Value)}"));
        return string.Create(CultureInfo.InvariantCulture,
            $"Summary: {ByteSize.Format(c.Downloaded)} downloaded in {Elapsed(c.Elapsed)} (average {ByteSize.Format((long)c.AverageRate)}/s); "
            + $"from {sources}; uploaded {ByteSize.Format(c.Uploaded)}, ratio {c.Ratio:0.00}");
    }

    public static JsonObject ToJson(DownloadCompletion c)
    {
        var sources = new JsonObject();
        foreach (var (source, bytes) in c.BySource)
            sources[source.ToString().ToLowerInvariant()] = bytes;
        return new JsonObject
        {
            ["info_hash"] = c.InfoHash.ToString(),
            ["path"] = c.ContentPath,
            ["total_bytes"] = c.TotalLength,
            ["elapsed_seconds"] = Math.Round(c.Elapsed.TotalSeconds, 3),
            ["downloaded"] = c.Downloaded,
            ["uploaded"] = c.Uploaded,
            ["average_rate"] = Math.Round(c.AverageRate),
            ["ratio"] = Math.Round(c.Ratio, 4),
            ["bytes_by_source"] = sources,
        };
    }

    internal static string Elapsed(TimeSpan elapsed) => elapsed.TotalHours >= 1
        ? $"{(int)elapsed.TotalHours}h{elapsed.Minutes:00}m{elapsed.Seconds:00}s"
        : elapsed.TotalMinutes >= 1 ? $"{elapsed.Minutes}m{elapsed.Seconds:00}s"
        : string.Create(CultureInfo.InvariantCulture, $"{elapsed.TotalSeconds:0.0}s");
}
