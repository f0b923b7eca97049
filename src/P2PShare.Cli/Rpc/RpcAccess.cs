using System.Net;
using System.Security.Cryptography;
using System.Text;
using Microsoft.AspNetCore.Http;
using P2PShare.Cli.Daemon;

namespace P2PShare.Cli.Rpc;

/// <summary>
/// Who may talk to the daemon, checked before anything else on every request (RPC, events, static files): the Host
/// header must name this machine (an IP literal, localhost, or a whitelisted name: a guard against DNS rebinding),
/// and with credentials configured, HTTP basic auth must match the PBKDF2 hash. Every check of a new header costs one
/// PBKDF2 whatever the user name (so the time tells nothing about it), and at most two run at once (so guessing cannot
/// take every core); a request that finds no free slot soon enough gets 429.
/// </summary>
internal sealed class RpcAccess(DaemonSettings settings, TimeSpan? verificationWait = null)
{
    /// <summary>PBKDF2 checks that may run at once.</summary>
    public const int MaxConcurrentVerifications = 2;

    private readonly SemaphoreSlim _verifications = new(MaxConcurrentVerifications, MaxConcurrentVerifications);
    private readonly TimeSpan _verificationWait = verificationWait ?? TimeSpan.FromSeconds(1);

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
        if (RequiresAuth)
        {
            var header = context.Request.Headers.Authorization.ToString();
            var authorized = Remembered(header) ? true : await VerifyBoundedAsync(header, context.RequestAborted).ConfigureAwait(false);
            if (authorized is null)
            {
                context.Response.StatusCode = StatusCodes.Status429TooManyRequests;
                context.Response.Headers.RetryAfter = "1";
                await context.Response.WriteAsync("429: Too many credential checks at once; try again\n", context.RequestAborted).ConfigureAwait(false);
                return;
            }
            if (authorized is false)
            {
                context.Response.StatusCode = StatusCodes.Status401Unauthorized;
                context.Response.Headers.WWWAuthenticate = "Basic realm=\"p2pshare\"";
                await context.Response.WriteAsync("401: Unauthorized\n", context.RequestAborted).ConfigureAwait(false);
                return;
            }
        }
        await next(context).ConfigureAwait(false);
    }

    /// <summary><see cref="Authorized"/> in one of the few verification slots; null when none came free in time.</summary>
    private async Task<bool?> VerifyBoundedAsync(string header, CancellationToken cancellationToken)
    {
        if (!await _verifications.WaitAsync(_verificationWait, cancellationToken).ConfigureAwait(false))
            return null;
        try
        {
            return Authorized(header);
        }
        finally
        {
            _verifications.Release();
        }
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

    /// <summary>Whether <paramref name="header"/> was accepted lately (no PBKDF2 needed).</summary>
    public bool Remembered(string header)
    {
        lock (_gate)
            return _accepted.Contains(header);
    }

    public bool Authorized(string header)
    {
        if (!header.StartsWith("Basic ", StringComparison.OrdinalIgnoreCase) || header.Length > 1024)
            return false;
        if (Remembered(header))
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
        // Both checks always run, and the user name is compared in fixed time (as hashes: equal lengths): a wrong user
        // name takes as long as a wrong password, so the time does not tell whether a user name exists.
        var userMatches = CryptographicOperations.FixedTimeEquals(
            SHA256.HashData(Encoding.UTF8.GetBytes(decoded[..colon])), SHA256.HashData(Encoding.UTF8.GetBytes(settings.RpcUsername ?? "")));
        var passwordMatches = PasswordHash.Verify(decoded[(colon + 1)..], settings.RpcPasswordHash!);
        var ok = userMatches & passwordMatches;
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
