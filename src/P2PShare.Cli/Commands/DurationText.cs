using System.Globalization;

namespace P2PShare.Cli.Commands;

/// <summary>A duration on the command line: seconds ("90"), or a number with a unit ("90s", "5m", "1.5h").</summary>
internal static class DurationText
{
    public static TimeSpan Parse(string? text, string option)
    {
        var trimmed = text?.Trim().ToLowerInvariant() ?? "";
        var (number, scale) = trimmed.Length == 0 ? ("", 0.0)
            : trimmed[^1] switch
            {
                's' => (trimmed[..^1], 1.0),
                'm' => (trimmed[..^1], 60.0),
                'h' => (trimmed[..^1], 3600.0),
                _ => (trimmed, 1.0),
            };
        if (!double.TryParse(number, NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out var value) || value <= 0 || value * scale > TimeSpan.MaxValue.TotalSeconds / 2)
            throw new UserErrorException($"{option} '{text}': must be a positive duration (seconds, or with a unit: 90s, 5m, 1h)");
        return TimeSpan.FromSeconds(Math.Max(1, value * scale));
    }
}
