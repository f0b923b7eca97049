using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using P2PShare.Tests.Support;

namespace P2PShare.Tests.Daemon;

/// <summary>A raw reply of the daemon's RPC: the HTTP status and, when the body is JSON, its root.</summary>
public sealed record RpcReply(HttpStatusCode Status, JsonElement? Body, HttpResponseMessage Response)
{
    public string Result => Body?.GetProperty("result").GetString() ?? "";

    public JsonElement Arguments => Body!.Value.GetProperty("arguments");
}

/// <summary>
/// Talks the Transmission RPC to a daemon the way transmission-remote does: the 409 handshake for the session id,
/// then the JSON call. <see cref="CallAsync"/> asserts success; <see cref="SendAsync"/> returns whatever came back.
/// </summary>
public sealed class DaemonRpcClient(int port, string? username = null, string? password = null)
{
    private string? _sessionId;

    public Uri Url { get; } = new($"http://127.0.0.1:{port}/transmission/rpc");

    public async Task<JsonElement> CallAsync(string method, object? arguments = null, CancellationToken cancellationToken = default)
    {
        var reply = await SendAsync(method, arguments, cancellationToken).ConfigureAwait(false);
        Assert.That(reply.Status, Is.EqualTo(HttpStatusCode.OK), $"{method}: HTTP status");
        Assert.That(reply.Result, Is.EqualTo("success"), $"{method}: result");
        return reply.Arguments;
    }

    /// <summary>torrent-get of <paramref name="fields"/> for all torrents (or <paramref name="ids"/>).</summary>
    public async Task<IReadOnlyList<JsonElement>> TorrentsAsync(string[] fields, object? ids = null, CancellationToken cancellationToken = default)
    {
        var arguments = ids is null ? (object)new { fields } : new { fields, ids };
        var reply = await CallAsync("torrent-get", arguments, cancellationToken).ConfigureAwait(false);
        return [.. reply.GetProperty("torrents").EnumerateArray()];
    }

    /// <summary>One call with the session-id handshake; the body as raw JSON text when <paramref name="arguments"/> is a string.</summary>
    public async Task<RpcReply> SendAsync(string method, object? arguments = null, CancellationToken cancellationToken = default, int? tag = null)
    {
        var request = new Dictionary<string, object?> { ["method"] = method, ["arguments"] = arguments ?? new { } };
        if (tag is { } t)
            request["tag"] = t;
        return await SendRawAsync(JsonSerializer.Serialize(request), cancellationToken).ConfigureAwait(false);
    }

    public async Task<RpcReply> SendRawAsync(string body, CancellationToken cancellationToken = default, string? host = null, bool handshake = true)
    {
        for (var attempt = 0; ; attempt++)
        {
            using var message = new HttpRequestMessage(HttpMethod.Post, Url) { Content = new StringContent(body, Encoding.UTF8, "application/x-www-form-urlencoded") };
            if (_sessionId is not null)
                message.Headers.Add("X-Transmission-Session-Id", _sessionId);
            if (username is not null)
                message.Headers.Authorization = new AuthenticationHeaderValue("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes($"{username}:{password}")));
            if (host is not null)
                message.Headers.Host = host;
            var response = await LoopbackHttp.Client.SendAsync(message, cancellationToken).ConfigureAwait(false);
            if (response.StatusCode == HttpStatusCode.Conflict && handshake && attempt == 0
                && response.Headers.TryGetValues("X-Transmission-Session-Id", out var ids))
            {
                _sessionId = ids.First();
                continue;
            }
            var text = await response.Content.ReadAsStringAsync(cancellationToken).ConfigureAwait(false);
            JsonElement? json = null;
            if (response.Content.Headers.ContentType?.MediaType == "application/json")
                json = JsonDocument.Parse(text).RootElement.Clone();
            return new RpcReply(response.StatusCode, json, response);
        }
    }
}
