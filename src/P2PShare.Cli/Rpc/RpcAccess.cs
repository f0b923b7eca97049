using System.Net;
using System.Text;
using Microsoft.AspNetCore.Http;
using P2PShare.Cli.Daemon;

namespace P2PShare.Cli.Rpc;

/// <summary>
/// Who may talk to the daemon, checked before anything else on every request (RPC, events, static files): the Host
/// header must name this machine (an IP literal, localhost, or a whitelisted name: a guard against DNS rebinding),
/// and with credentials configured, HTTP basic auth must match the PBKDF2 hash.
/// </summary>
internal sealed class RpcAccess(DaemonSettings settings)
{
    // PBKDF2 is slow on purpose; a client sends the same header on every call, so a few accepted ones are remembered.
    private readonly HashSet<string> _accepted = [];
    private readonly object _gate = new();

    public bool RequiresAuth => settings.RpcUsername is not null && settings.RpcPasswordHash is not null;

    public async Task InvokeAsync(HttpContext context, RequestDelegate next)
    {
        if (!HostAllowed(context.Request.Host.Host))
        {
            context.Response.StatusCode = StatusCodes.Status421MisdirectedRequest;
            await context.Response.WriteAsync("p2pshare: this daemon does not answer to that Host header; add it to RpcHostWhitelist\n", context.RequestAborted).ConfigureAwait(false);
            return;
        }
        if (RequiresAuth && !Authorized(context.Request.Headers.Authorization.ToString()))
        {
            context.Response.StatusCode = StatusCodes.Status401Unauthorized;
            context.Response.Headers.WWWAuthenticate = "Basic realm=\"p2pshare\"";
            await context.Response.WriteAsync("401: Unauthorized\n", context.RequestAborted).ConfigureAwait(false);
            return;
        }
        await next(context).ConfigureAwait(false);
    }

    public bool HostAllowed(string host)
    {
        if (string.IsNullOrEmpty(host))
            return false;
        if (IPAddress.TryParse(host.Trim('[', ']'), out _))
            return true;
        if (host.Equals("localhost", StringComparison.OrdinalIgnoreCase) || host.EndsWith(".localhost", StringComparison.OrdinalIgnoreCase))
            return true;
        return settings.RpcHostWhitelist.Any(allowed => allowed.Equals(host, StringComparison.OrdinalIgnoreCase));
    }

    public bool Authorized(string header)
    {
        if (!header.StartsWith("Basic ", StringComparison.OrdinalIgnoreCase) || header.Length > 1024)
            return false;
        lock (_gate)
            if (_accepted.Contains(header))
                return true;
        string decoded;
        try
        {
            decoded = Encoding.UTF8.GetString(Convert.FromBase64String(header[6..].Trim()));
        }
        catch (FormatException)
        {
            return false;
        }
        var colon = decoded.IndexOf(':');
        if (colon < 0)
            return false;
        var ok = decoded[..colon] == settings.RpcUsername && PasswordHash.Verify(decoded[(colon + 1)..], settings.RpcPasswordHash!);
        if (ok)
        {
            lock (_gate)
            {
                if (_accepted.Count >= 16)
                    _accepted.Clear();
                _accepted.Add(header);
            }
        }
        return ok;
    }
}
