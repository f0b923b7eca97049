using System.Buffers;
using System.Text.Json;
using Microsoft.AspNetCore.Http;
using P2PShare.Cli.Daemon;

namespace P2PShare.Cli.Rpc;

/// <summary>
/// GET /api/events: server-sent events, one "data:" line a second with the session's rates and every torrent's
/// {id, name, status, percentDone, rateDownload, rateUpload}, for the web UI (no polling of each torrent). At most
/// <see cref="MaxClients"/> streams at once.
/// </summary>
internal sealed class EventsEndpoint(TorrentService service, TimeProvider time)
{
    public const int MaxClients = 32;
    private int _clients;

    public async Task HandleAsync(HttpContext context)
    {
        if (Interlocked.Increment(ref _clients) > MaxClients)
        {
            Interlocked.Decrement(ref _clients);
            context.Response.StatusCode = StatusCodes.Status503ServiceUnavailable;
            return;
        }
        try
        {
            var response = context.Response;
            response.ContentType = "text/event-stream";
            response.Headers.CacheControl = "no-cache";
            response.Headers["X-Accel-Buffering"] = "no";
            var cancellationToken = context.RequestAborted;
            using var timer = new PeriodicTimer(TimeSpan.FromSeconds(1), time);
            do
            {
                await response.Body.WriteAsync(Snapshot(), cancellationToken).ConfigureAwait(false);
                await response.Body.FlushAsync(cancellationToken).ConfigureAwait(false);
            }
            while (await timer.WaitForNextTickAsync(cancellationToken).ConfigureAwait(false));
        }
        catch (OperationCanceledException) when (context.RequestAborted.IsCancellationRequested)
        {
        }
        finally
        {
            Interlocked.Decrement(ref _clients);
        }
    }

    /// <summary>One event: "data: {json}\n\n".</summary>
    public ReadOnlyMemory<byte> Snapshot()
    {
        var buffer = new ArrayBufferWriter<byte>(1024);
        buffer.Write("data: "u8);
        var now = time.GetUtcNow();
        using (var writer = new Utf8JsonWriter(buffer))
        {
            long down = 0, up = 0;
            var views = service.Torrents.Select(t => new TorrentView(t, now)).ToList();
            foreach (var view in views)
            {
                down += view.RateDownload;
                up += view.RateUpload;
            }
            writer.WriteStartObject();
            writer.WriteNumber("time"u8, now.ToUnixTimeMilliseconds());
            writer.WriteNumber("downloadSpeed"u8, down);
            writer.WriteNumber("uploadSpeed"u8, up);
            writer.WriteStartArray("torrents"u8);
            foreach (var view in views)
            {
                writer.WriteStartObject();
                writer.WriteNumber("id"u8, view.Torrent.Id);
                writer.WriteString("name"u8, view.Torrent.Name);
                writer.WriteNumber("status"u8, view.Status);
                writer.WriteNumber("percentDone"u8, Math.Round(view.PercentDone, 4));
                writer.WriteNumber("rateDownload"u8, view.RateDownload);
                writer.WriteNumber("rateUpload"u8, view.RateUpload);
                writer.WriteNumber("peersConnected"u8, view.PeersConnected);
                writer.WriteNumber("eta"u8, view.Eta);
                writer.WriteString("error"u8, view.ErrorString ?? "");
                writer.WriteEndObject();
            }
            writer.WriteEndArray();
            writer.WriteEndObject();
        }
        buffer.Write("\n\n"u8);
        return buffer.WrittenMemory;
    }
}
