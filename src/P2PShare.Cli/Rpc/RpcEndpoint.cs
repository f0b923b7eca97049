using System.Buffers;
using System.Text.Json;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;
using P2PShare.Metainfo;

namespace P2PShare.Cli.Rpc;

/// <summary>
/// POST /transmission/rpc (with or without the trailing slash that transmission-remote sends): the session-id
/// handshake (409 with the id), a bounded JSON body whatever its content type, the method, the reply with "tag" echoed.
/// </summary>
internal sealed class RpcEndpoint(RpcMethods methods, RpcSessionId sessionId, ILogger<RpcEndpoint> logger)
{
    /// <summary>Requests beyond this are refused (413): a base64 .torrent of several MiB still fits.</summary>
    public const int MaxBodyBytes = 16 * 1024 * 1024;

    public async Task HandleAsync(HttpContext context)
    {
        var response = context.Response;
        response.Headers[RpcSessionId.Header] = sessionId.Value;
        if (!sessionId.Matches(context.Request.Headers[RpcSessionId.Header].ToString()))
        {
            response.StatusCode = StatusCodes.Status409Conflict;
            await response.WriteAsync($"<h1>409: Conflict</h1><p>Your request had an invalid session-id header.</p><p><code>{RpcSessionId.Header}: {sessionId.Value}</code></p>",
                context.RequestAborted).ConfigureAwait(false);
            return;
        }
        if (!HttpMethods.IsPost(context.Request.Method))
        {
            response.StatusCode = StatusCodes.Status405MethodNotAllowed;
            return;
        }
        var body = await ReadBodyAsync(context.Request, context.RequestAborted).ConfigureAwait(false);
        if (body is null)
        {
            response.StatusCode = StatusCodes.Status413PayloadTooLarge;
            await WriteResultAsync(response, $"request larger than {MaxBodyBytes} bytes", null, context.RequestAborted).ConfigureAwait(false);
            return;
        }
        JsonDocument document;
        try
        {
            document = RpcRequest.Parse(body);
        }
        catch (JsonException error)
        {
            response.StatusCode = StatusCodes.Status400BadRequest;
            await WriteResultAsync(response, $"request is not JSON: {error.Message}", null, context.RequestAborted).ConfigureAwait(false);
            return;
        }
        using (document)
        {
            RpcRequest request;
            try
            {
                request = RpcRequest.From(document.RootElement);
            }
            catch (JsonException error)
            {
                response.StatusCode = StatusCodes.Status400BadRequest;
                await WriteResultAsync(response, $"request is not valid: {error.Message}", null, context.RequestAborted).ConfigureAwait(false);
                return;
            }
            await DispatchAsync(request, response, context.RequestAborted).ConfigureAwait(false);
        }
    }

    private async Task DispatchAsync(RpcRequest request, HttpResponse response, CancellationToken cancellationToken)
    {
        var tag = request.Tag;
        if (request.Method is not { } name)
        {
            await WriteResultAsync(response, "no method name", tag, cancellationToken).ConfigureAwait(false);
            return;
        }
        var method = methods.Find(name);
        if (method is null)
        {
            await WriteResultAsync(response, "method name not recognized", tag, cancellationToken).ConfigureAwait(false);
            return;
        }
        var arguments = request.Arguments;
        var started = System.Diagnostics.Stopwatch.GetTimestamp();
        var buffer = new ArrayBufferWriter<byte>(4096);
        string result;
        await using (var writer = new Utf8JsonWriter(buffer))
        {
            try
            {
                writer.WriteStartObject();
                writer.WriteString("result"u8, "success"u8);
                writer.WriteStartObject("arguments"u8);
                await method(new RpcCall(arguments), writer, cancellationToken).ConfigureAwait(false);
                writer.WriteEndObject();
                if (tag is { } value)
                {
                    writer.WritePropertyName("tag"u8);
                    value.WriteTo(writer);
                }
                writer.WriteEndObject();
                await writer.FlushAsync(cancellationToken).ConfigureAwait(false);
                result = "success";
            }
            catch (Exception error) when (error is RpcError or ArgumentException or MetainfoException or InvalidDataException or NotSupportedException or FormatException
                or IOException or UnauthorizedAccessException or InvalidOperationException)
            {
                result = error.Message;
            }
        }
        if (result != "success")
        {
            logger.LogInformation("RPC {Method} refused: {Reason}", name, result);
            await WriteResultAsync(response, result, tag, cancellationToken).ConfigureAwait(false);
            return;
        }
        response.ContentType = "application/json; charset=UTF-8";
        response.ContentLength = buffer.WrittenCount;
        // The method's own time (what a client's measurement adds network and parsing to).
        response.Headers["Server-Timing"] = string.Create(System.Globalization.CultureInfo.InvariantCulture,
            $"rpc;dur={System.Diagnostics.Stopwatch.GetElapsedTime(started).TotalMilliseconds:0.###}");
        await response.Body.WriteAsync(buffer.WrittenMemory, cancellationToken).ConfigureAwait(false);
    }

    private static async Task WriteResultAsync(HttpResponse response, string result, JsonElement? tag, CancellationToken cancellationToken)
    {
        var buffer = new ArrayBufferWriter<byte>(256);
        await using (var writer = new Utf8JsonWriter(buffer))
        {
            writer.WriteStartObject();
            writer.WriteString("result"u8, result);
            writer.WriteStartObject("arguments"u8);
            writer.WriteEndObject();
            if (tag is { } value)
            {
                writer.WritePropertyName("tag"u8);
                value.WriteTo(writer);
            }
            writer.WriteEndObject();
        }
        response.ContentType = "application/json; charset=UTF-8";
        await response.Body.WriteAsync(buffer.WrittenMemory, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>The whole body, or null when it exceeds <see cref="MaxBodyBytes"/>.</summary>
    private static async Task<byte[]?> ReadBodyAsync(HttpRequest request, CancellationToken cancellationToken)
    {
        if (request.ContentLength > MaxBodyBytes)
            return null;
        using var memory = new MemoryStream(request.ContentLength is { } length ? (int)length : 1024);
        var chunk = ArrayPool<byte>.Shared.Rent(16 * 1024);
        try
        {
            int read;
            while ((read = await request.Body.ReadAsync(chunk, cancellationToken).ConfigureAwait(false)) > 0)
            {
                if (memory.Length + read > MaxBodyBytes)
                    return null;
                memory.Write(chunk, 0, read);
            }
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(chunk);
        }
        return memory.ToArray();
    }
}
