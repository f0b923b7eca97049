using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using System.Text;

namespace P2PShare.Tests.Trackers;

/// <summary>
/// A raw HTTP server on 127.0.0.1 that answers each request with exactly the bytes the test chooses,
/// so that broken answers (truncated, oversized, HTML, not HTTP) can be produced.
/// </summary>
internal sealed class FakeHttpTracker : IAsyncDisposable
{
    private readonly TcpListener _listener = new(IPAddress.Loopback, 0);
    private readonly CancellationTokenSource _stop = new();
    private readonly Func<string, Stream, CancellationToken, Task> _respond;
    private readonly Task _loop;

    /// <param name="respond">Gets the request target (path and query) and the connection's stream.</param>
    public FakeHttpTracker(Func<string, Stream, CancellationToken, Task> respond)
    {
        _respond = respond;
        _listener.Start();
        _loop = AcceptLoopAsync();
    }

    public static FakeHttpTracker Answering(byte[] body) => new((_, stream, ct) => WriteResponseAsync(stream, body, ct));

    public ConcurrentQueue<string> Requests { get; } = new();

    public int Port => ((IPEndPoint)_listener.LocalEndpoint).Port;

    public string AnnounceUrl => $"http://127.0.0.1:{Port}/announce";

    public static async Task WriteResponseAsync(Stream stream, byte[] body, CancellationToken ct, string status = "200 OK", string contentType = "text/plain", long? contentLength = null)
    {
        var head = $"HTTP/1.1 {status}\r\nContent-Type: {contentType}\r\nContent-Length: {contentLength ?? body.Length}\r\nConnection: close\r\n\r\n";
        await stream.WriteAsync(Encoding.ASCII.GetBytes(head), ct);
        await stream.WriteAsync(body, ct);
    }

    private async Task AcceptLoopAsync()
    {
        while (!_stop.IsCancellationRequested)
        {
            TcpClient client;
            try
            {
                client = await _listener.AcceptTcpClientAsync(_stop.Token);
            }
            catch (Exception) when (_stop.IsCancellationRequested)
            {
                return;
            }
            _ = ServeAsync(client);
        }
    }

    private async Task ServeAsync(TcpClient client)
    {
        using (client)
        {
            try
            {
                var stream = client.GetStream();
                var target = await ReadRequestTargetAsync(stream, _stop.Token);
                Requests.Enqueue(target);
                await _respond(target, stream, _stop.Token);
            }
            catch (Exception error) when (error is IOException or OperationCanceledException or SocketException)
            {
                // The client gave up (e.g. it refused an oversized answer): expected in these tests.
            }
        }
    }

    private static async Task<string> ReadRequestTargetAsync(Stream stream, CancellationToken ct)
    {
        var head = new List<byte>();
        var one = new byte[1];
        while (head.Count < 16 * 1024)
        {
            if (await stream.ReadAsync(one, ct) == 0)
                break;
            head.Add(one[0]);
            if (head.Count >= 4 && head[^1] == '\n' && head[^2] == '\r' && head[^3] == '\n' && head[^4] == '\r')
                break;
        }
        var requestLine = Encoding.ASCII.GetString([.. head]).Split("\r\n")[0];
        var parts = requestLine.Split(' ');
        return parts.Length >= 2 ? parts[1] : "";
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        _listener.Stop();
        await _loop;
        _stop.Dispose();
    }
}
