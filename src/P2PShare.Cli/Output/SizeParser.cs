using System.Globalization;

namespace P2PShare.Cli.Output;

/// <summary>
/// Reads sizes and rates as users type them: plain bytes ("65536"), or a number with a unit ("500K", "2M",
/// "1.5MiB", "10kB/s"). K, M, G, T with or without "i" and "B" are powers of 1024, as in aria2, wget and curl;
/// "kB", "MB", "GB", "TB" spelled with a capital B and no "i" are the SI powers of 1000. A trailing "/s" is allowed.
/// </summary>
internal static class SizeParser
{
    public static bool TryParse(string? text, out long bytes, out string? problem)
    {
        bytes = 0;
        problem = null;
        var span = (text ?? "").Trim();
        if (span.EndsWith("/s", StringComparison.OrdinalIgnoreCase))
            span = span[..^2].TrimEnd();
        if (span.Length == 0)
        {
            problem = "a size is needed (for example 65536, 500K, 2M, 1.5MiB)";
            return false;
        }
        var split = 0;
        while (split < span.Length && (char.IsAsciiDigit(span[split]) || span[split] == '.'))
            split++;
        var number = span[..split];
        var unit = span[split..].Trim();
        if (!decimal.TryParse(number, NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out var value))
        {
            problem = "not a size (use bytes or a unit: 500K, 2M, 1.5MiB)";
            return false;
        }
        if (Multiplier(unit) is not { } multiplier)
        {
            problem = $"unknown unit '{unit}' (use K, M, G, T, KiB, MiB, GiB, kB, MB, GB)";
            return false;
        }
        decimal total;
        try
        {
            total = decimal.Round(value * multiplier, MidpointRounding.AwayFromZero);
        }
        catch (OverflowException)
        {
            total = decimal.MaxValue;
        }
        if (total > long.MaxValue)
        {
            problem = "too large";
            return false;
        }
        bytes = (long)total;
        return true;
    }

    /// <summary>Bytes per unit; null for a unit not known.</summary>
    private static long? Multiplier(string unit)
    {
        if (unit.Length == 0 || unit is "b" or "B")
            return 1;
        // The SI spellings: a capital B right after the prefix letter (kB, MB, GB, TB).
        if (unit.Length == 2 && unit[1] == 'B' && Power(unit[0]) is { } si)
            return (long)Math.Pow(1000, si);
        var prefix = unit[0];
        var rest = unit[1..];
        if (Power(prefix) is not { } power)
            return null;
        return rest.ToLowerInvariant() is "" or "i" or "ib" or "b" ? (long)Math.Pow(1024, power) : null;
    }

    private static int? Power(char prefix) => char.ToLowerInvariant(prefix) switch
    {
        'k' => 1,
        'm' => 2,
        'g' => 3,
        't' => 4,
        _ => null,
    };
}
