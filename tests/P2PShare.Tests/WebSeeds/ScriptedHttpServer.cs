using System.Net;
using System.Net.Sockets;
using System.Text;

namespace P2PShare.Tests.WebSeeds;

/// <summary>A request as the scripted server saw it: path (raw), and the Range header's first and last byte if any.</summary>
internal sealed record ScriptedRequest(string Path, long? From, long? To, int Connection);

/// <summary>
/// A hand-written HTTP/1.1 server on 127.0.0.1 whose answers are scripted bytes, so a test can send what a real
/// server never would (too many bytes, wrong ranges, nothing at all). Connections are kept alive unless an answer
/// says 'Connection: close'. A null answer stalls: nothing is sent until the server is disposed.
/// </summary>
internal sealed class ScriptedHttpServer : IAsyncDisposable
{
    private readonly TcpListener _listener = new(IPAddress.Loopback, 0);
    private readonly Func<ScriptedRequest, byte[]?> _answer;
    private readonly CancellationTokenSource _stop = new();
    private readonly List<ScriptedRequest> _requests = [];
    private readonly Task _loop;
    private int _connections;

    public ScriptedHttpServer(Func<ScriptedRequest, byte[]?> answer)
    {
        _answer = answer;
        _listener.Start();
        _loop = AcceptAsync();
    }

    public string Url(string path) => $"http://127.0.0.1:{((IPEndPoint)_listener.LocalEndpoint).Port}{path}";

    public int Connections => Volatile.Read(ref _connections);

    public IReadOnlyList<ScriptedRequest> Requests
    {
        get
        {
            lock (_requests)
                return [.. _requests];
        }
    }

    /// <summary>A 206 answer with the given body and headers that describe <paramref name="from"/>-<paramref name="to"/>.</summary>
    public static byte[] Partial(byte[] body, long from, long to, long total, bool close = false) => Raw(
        $"HTTP/1.1 206 Partial Content\r\nContent-Range: bytes {from}-{to}/{total}\r\nContent-Length: {body.Length}\r\n{(close ? "Connection: close\r\n" : "")}\r\n", body);

    public static byte[] Raw(string head, byte[]? body = null) => [.. Encoding.ASCII.GetBytes(head), .. body ?? []];

    private async Task AcceptAsync()
    {
        var handlers = new List<Task>();
        try
        {
            while (true)
            {
                var client = await _listener.AcceptTcpClientAsync(_stop.Token);
                handlers.Add(ServeAsync(client, Interlocked.Increment(ref _connections)));
            }
        }
        catch (Exception error) when (error is OperationCanceledException or ObjectDisposedException or SocketException)
        {
        }
        await Task.WhenAll(handlers).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
    }

    private async Task ServeAsync(TcpClient client, int connection)
    {
        using var _ = client;
        var stream = client.GetStream();
        var buffer = new byte[8192];
        var pending = new StringBuilder();
        try
        {
            while (true)
            {
                var text = pending.ToString();
                var end = text.IndexOf("\r\n\r\n", StringComparison.Ordinal);
                if (end < 0)
                {
                    var read = await stream.ReadAsync(buffer, _stop.Token);
                    if (read == 0 || pending.Length > 64 * 1024)
                        return;
                    pending.Append(Encoding.ASCII.GetString(buffer, 0, read));
                    continue;
                }
                pending.Remove(0, end + 4);
                var request = Parse(text[..end], connection);
                lock (_requests)
                    _requests.Add(request);
                var answer = _answer(request);
                if (answer is null)
                {
                    await Task.Delay(Timeout.Infinite, _stop.Token);
                    return;
                }
                await stream.WriteAsync(answer, _stop.Token);
                if (Encoding.ASCII.GetString(answer).Contains("Connection: close", StringComparison.OrdinalIgnoreCase))
                    return;
            }
        }
        catch (Exception error) when (error is OperationCanceledException or IOException or SocketException)
        {
        }
    }

    private static ScriptedRequest Parse(string head, int connection)
    {
        var lines = head.Split("\r\n");
        var path = lines[0].Split(' ')[1];
        long? from = null, to = null;
        foreach (var line in lines.Skip(1))
        {
            if (!line.StartsWith("Range: bytes=", StringComparison.OrdinalIgnoreCase))
                continue;
            var parts = line["Range: bytes=".Length..].Split('-');
            from = long.Parse(parts[0]);
            to = long.Parse(parts[1]);
        }
        return new ScriptedRequest(path, from, to, connection);
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        _listener.Stop();
        await _loop.WaitAsync(TimeSpan.FromSeconds(5)).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        _stop.Dispose();
    }
}
