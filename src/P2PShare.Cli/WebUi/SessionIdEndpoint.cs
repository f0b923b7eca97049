using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using P2PShare.Cli.Rpc;

namespace P2PShare.Cli.WebUi;

/// <summary>
/// GET /api/session-id: the RPC's X-Transmission-Session-Id as JSON, for the web UI. The page asks once before its
/// first RPC call, because a browser logs every 409 answer (the protocol's handshake) as a console error. It is no
/// weaker than the handshake, which hands the same id to anyone: another site's page cannot read this answer (no CORS
/// headers), and the access checks (Host header, basic auth) run before it as before every request.
/// </summary>
internal static class SessionIdEndpoint
{
    public const string Path = "/api/session-id";

    public static void Map(WebApplication app)
    {
        var sessionId = app.Services.GetRequiredService<RpcSessionId>();
        // A RequestDelegate, not a lambda with bound parameters: that needs no generated binding code (Native AOT).
        app.MapGet(Path, context =>
        {
            context.Response.Headers.CacheControl = "no-store";
            context.Response.Headers[RpcSessionId.Header] = sessionId.Value;
            return context.Response.WriteAsJsonAsync(new SessionIdReply(sessionId.Value), WebUiJsonContext.Default.SessionIdReply,
                cancellationToken: context.RequestAborted);
        });
    }

    internal sealed record SessionIdReply(string SessionId);
}
