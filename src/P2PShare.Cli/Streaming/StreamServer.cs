using System.Buffers;
using System.Net;
using System.Net.Sockets;
using Microsoft.Extensions.Logging;
using P2PShare.Hosting;

namespace P2PShare.Cli.Streaming;

/// <summary>
/// Serves one file of a running torrent over HTTP on 127.0.0.1 (HttpListener), with Range support, while it downloads:
/// each request gets its own <see cref="StreamingReader"/>, so its reads wait for verified pieces and put deadlines just
/// ahead of where it reads. GET and HEAD on any path; the URL's last segment is the file name, for players.
/// </summary>
internal sealed class StreamServer : IAsyncDisposable
{
    private const int ChunkSize = 64 * 1024;
    private const int MaxConcurrentRequests = 16;
    private readonly HttpListener _listener;
    private readonly TorrentRunner _runner;
    private readonly int _fileIndex;
    private readonly string _contentType;
    private readonly ILogger _logger;
    private readonly SemaphoreSlim _slots = new(MaxConcurrentRequests, MaxConcurrentRequests);
    private readonly CancellationTokenSource _stop = new();
    private Task _loop = Task.CompletedTask;

    private StreamServer(HttpListener listener, int port, TorrentRunner runner, int fileIndex, string fileName, ILogger logger)
    {
        _listener = listener;
        _runner = runner;
        _fileIndex = fileIndex;
        _logger = logger;
        Port = port;
        _contentType = ContentType(fileName);
        Url = $"http://127.0.0.1:{port}/{Uri.EscapeDataString(fileName)}";
    }

    public int Port { get; }

    public string Url { get; }

    /// <summary>Listens on 127.0.0.1:<paramref name="port"/> (0: a free port).</summary>
    public static StreamServer Start(int port, TorrentRunner runner, int fileIndex, string fileName, ILogger logger)
    {
        for (var attempt = 0; ; attempt++)
        {
            var chosen = port != 0 ? port : FreePort();
            var listener = new HttpListener();
            listener.Prefixes.Add($"http://127.0.0.1:{chosen}/");
            try
            {
                listener.Start();
            }
            catch (HttpListenerException) when (port == 0 && attempt < 5)
            {
                listener.Close();
                continue; // taken in between: another free port
            }
            var server = new StreamServer(listener, chosen, runner, fileIndex, fileName, logger);
            server._loop = server.AcceptLoopAsync();
            return server;
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync().ConfigureAwait(false);
        _listener.Close();
        await _loop.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        _stop.Dispose();
    }

    private async Task AcceptLoopAsync()
    {
        while (!_stop.IsCancellationRequested)
        {
            HttpListenerContext context;
            try
            {
                context = await _listener.GetContextAsync().ConfigureAwait(false);
            }
            catch (Exception error) when (error is HttpListenerException or ObjectDisposedException or InvalidOperationException)
            {
                return;
            }
            // Bounded: beyond the slots, a request waits for one (a player opens a few at most).
            await _slots.WaitAsync(_stop.Token).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
            if (_stop.IsCancellationRequested)
                return;
            _ = ServeAndReleaseAsync(context);
        }
    }

    private async Task ServeAndReleaseAsync(HttpListenerContext context)
    {
        try
        {
            await ServeAsync(context, _stop.Token).ConfigureAwait(false);
        }
        catch (Exception error) when (error is HttpListenerException or IOException or OperationCanceledException or ObjectDisposedException)
        {
            // The client went away (a player seeking closes its connection), or we are stopping.
            _logger.LogDebug("Stream request ended: {Reason}", error.Message);
            Abort(context);
        }
        catch (Exception error)
        {
            _logger.LogWarning(error, "Stream request failed");
            Abort(context);
        }
        finally
        {
            _slots.Release();
        }
    }

    private static void Abort(HttpListenerContext context)
    {
        try
        {
            context.Response.Abort();
        }
        catch (ObjectDisposedException)
        {
        }
    }

    private async Task ServeAsync(HttpListenerContext context, CancellationToken cancellationToken)
    {
        var request = context.Request;
        var response = context.Response;
        if (request.HttpMethod is not ("GET" or "HEAD"))
        {
            response.StatusCode = 405;
            response.Close();
            return;
        }
        await using var reader = new StreamingReader(_runner, _fileIndex);
        var length = await reader.LengthAsync(cancellationToken).ConfigureAwait(false);
        response.Headers["Accept-Ranges"] = "bytes";
        response.ContentType = _contentType;
        if (!ByteRange.TryResolve(request.Headers["Range"], length, out var range, out var partial))
        {
            response.StatusCode = 416;
            response.Headers["Content-Range"] = $"bytes */{length}";
            response.Close();
            return;
        }
        response.StatusCode = partial ? 206 : 200;
        if (partial)
            response.Headers["Content-Range"] = $"bytes {range.First}-{range.Last}/{length}";
        response.ContentLength64 = length == 0 ? 0 : range.Length;
        _logger.LogDebug("Stream {Method} bytes {First}-{Last} of {Length}", request.HttpMethod, range.First, range.Last, length);
        if (request.HttpMethod == "HEAD" || length == 0)
        {
            response.Close();
            return;
        }
        var buffer = ArrayPool<byte>.Shared.Rent(ChunkSize);
        try
        {
            var position = range.First;
            var output = response.OutputStream;
            while (position <= range.Last)
            {
                var want = (int)Math.Min(ChunkSize, range.Last - position + 1);
                var read = await reader.ReadAsync(position, buffer.AsMemory(0, want), cancellationToken).ConfigureAwait(false);
                if (read == 0)
                    break;
                await output.WriteAsync(buffer.AsMemory(0, read), cancellationToken).ConfigureAwait(false);
                position += read;
            }
            // The range is read: drop this reader's deadlines before the client can send its next request (a seek),
            // so the finished window does not compete with the new one.
            await reader.DisposeAsync().ConfigureAwait(false);
            response.Close();
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    private static int FreePort()
    {
        using var probe = new TcpListener(IPAddress.Loopback, 0);
        probe.Start();
        return ((IPEndPoint)probe.LocalEndpoint).Port;
    }

    private static string ContentType(string fileName) => Path.GetExtension(fileName).ToLowerInvariant() switch
    {
        ".mp4" or ".m4v" => "video/mp4",
        ".mkv" => "video/x-matroska",
        ".webm" => "video/webm",
        ".avi" => "video/x-msvideo",
        ".ts" => "video/mp2t",
        ".mp3" => "audio/mpeg",
        ".flac" => "audio/flac",
        ".ogg" => "audio/ogg",
        _ => "application/octet-stream",
    };
}
