using System.Text.Json;

namespace P2PShare.Cli.Rpc;

/// <summary>
/// One RPC request body, decoded without running anything: the method's name (null when the body names none), its
/// arguments (an empty object when none were sent or they are not an object) and the numeric "tag" to echo.
/// <see cref="Parse"/> refuses what is not JSON (or nests deeper than 16) with <see cref="JsonException"/>, and
/// <see cref="From"/> a method name that is no text.
/// </summary>
internal sealed record RpcRequest(string? Method, JsonElement Arguments, JsonElement? Tag)
{
    private static readonly JsonDocumentOptions Parsing = new() { MaxDepth = 16 };
    private static readonly JsonElement NoArguments = JsonDocument.Parse("{}").RootElement;

    /// <summary>
    /// The body as a JSON document (the caller disposes it; the request's elements live in it). JSON is UTF-8: a body
    /// that is not is refused here, since the reader would only notice when a string is read (InvalidOperationException
    /// from GetString, which escaped the endpoint for the method's name).
    /// </summary>
    public static JsonDocument Parse(ReadOnlyMemory<byte> body) =>
        System.Text.Unicode.Utf8.IsValid(body.Span) ? JsonDocument.Parse(body, Parsing) : throw new JsonException("the request is not UTF-8 text");

    public static RpcRequest From(JsonElement root)
    {
        if (root.ValueKind != JsonValueKind.Object)
            return new RpcRequest(null, NoArguments, null);
        JsonElement? tag = root.TryGetProperty("tag", out var t) && t.ValueKind == JsonValueKind.Number ? t : null;
        string? method;
        try
        {
            method = root.TryGetProperty("method", out var name) && name.ValueKind == JsonValueKind.String ? name.GetString() : null;
        }
        catch (InvalidOperationException error)
        {
            // Valid JSON can still escape a lone surrogate ("\ud800"), which is no text: GetString throws.
            throw new JsonException("the method name is not valid text", error);
        }
        var arguments = root.TryGetProperty("arguments", out var a) && a.ValueKind == JsonValueKind.Object ? a : NoArguments;
        return new RpcRequest(method, arguments, tag);
    }
}
