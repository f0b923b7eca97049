using P2PShare.Engine.Native;

namespace P2PShare.Cli.Commands;

/// <summary>Formats "native: 42.0% 1.2 MiB/s down, 0 B/s up, 3 peers, ETA 0:35" from successive snapshots.</summary>
internal sealed class NativeProgressLine(TimeProvider time)
{
    private DateTimeOffset _lastTime = time.GetUtcNow();
    private long _lastDown;
    private long _lastUp;

    public string Format(NativeProgress progress)
    {
        var now = time.GetUtcNow();
        var seconds = Math.Max(0.001, (now - _lastTime).TotalSeconds);
        var downRate = Math.Max(0, progress.BytesDownloaded - _lastDown) / seconds;
        var upRate = Math.Max(0, progress.BytesUploaded - _lastUp) / seconds;
        _lastTime = now;
        _lastDown = progress.BytesDownloaded;
        _lastUp = progress.BytesUploaded;
        if (!progress.FileKnown)
            return $"native: waiting for a peer that has the file, {progress.Peers} peers";
        if (progress.Complete)
            return $"native: seeding 100%, {Bytes(upRate)}/s up, {progress.Peers} peers";
        var remaining = (1 - progress.Fraction) * progress.FileSize;
        var eta = downRate > 0 ? TimeSpan.FromSeconds(remaining / downRate).ToString(@"h\:mm\:ss") : "unknown";
        return $"native: {progress.Fraction * 100:0.0}% ({progress.PiecesHave}/{progress.PieceCount} pieces), {Bytes(downRate)}/s down, {Bytes(upRate)}/s up, {progress.Peers} peers, ETA {eta}";
    }

    internal static string Bytes(double value)
    {
        string[] units = ["B", "KiB", "MiB", "GiB"];
        var unit = 0;
        while (value >= 1024 && unit < units.Length - 1)
        {
            value /= 1024;
            unit++;
        }
        return unit == 0 ? $"{value:0} {units[unit]}" : $"{value:0.0} {units[unit]}";
    }
}
