using System.Text;
using System.Text.Json;
using P2PShare.Cli.Daemon;
using P2PShare.Cli.Rpc;

namespace P2PShare.Fuzz.Targets;

/// <summary>
/// The <c>rpc-body</c> target: what a client of the daemon's Transmission RPC sends, up to the point where a method would
/// run: the Authorization header (<see cref="RpcAccess.Authorized"/>: basic auth, base64, user:password against a
/// PBKDF2 hash) and Host check, then the JSON body (<see cref="RpcRequest.Parse"/>: depth limit; <see cref="RpcRequest.From"/>:
/// method, arguments, tag) and every typed argument reader the methods use (<see cref="RpcCall"/>: strings, flags,
/// whole numbers, numbers, index lists) on every argument sent, and the "fields" list as session-get and torrent-get
/// read it. The methods themselves are not run here: they act on a live engine (torrent-add would announce to the
/// trackers a fuzzed torrent names).
/// <code>
/// line 1   the Authorization header value (also checked as a Host header)
/// rest     the request body
/// </code>
/// Only <see cref="JsonException"/> (a body that is not JSON: the endpoint answers 400) and <see cref="RpcError"/> (an
/// argument of the wrong type: the reply's "result") may escape.
/// </summary>
internal static class RpcFuzz
{
    /// <summary>User "fuzz", password "secret", hashed with 1 iteration so that a match costs nothing.</summary>
    private static readonly RpcAccess Access = new(new DaemonSettings
    {
        RpcUsername = "fuzz",
        RpcPasswordHash = "pbkdf2-sha256$1$c2FsdHNhbHRzYWx0c2FsdA==$" + Convert.ToBase64String(System.Security.Cryptography.Rfc2898DeriveBytes.Pbkdf2(
            "secret"u8, "saltsaltsaltsalt"u8, 1, System.Security.Cryptography.HashAlgorithmName.SHA256, 32)),
        RpcHostWhitelist = ["p2pshare.example"],
    });

    public static void Run(byte[] input)
    {
        var newline = Array.IndexOf(input, (byte)'\n');
        var header = newline < 0 ? "" : Encoding.UTF8.GetString(input, 0, newline);
        Access.Authorized(header);
        Access.HostAllowed(header);
        using var document = RpcRequest.Parse(input.AsMemory(newline + 1));
        var request = RpcRequest.From(document.RootElement);
        var call = new RpcCall(request.Arguments);
        if (call.Get("fields") is { ValueKind: JsonValueKind.Array } fields)
            foreach (var field in fields.EnumerateArray())
                if (field.ValueKind == JsonValueKind.String)
                    _ = field.GetString();
        foreach (var argument in request.Arguments.EnumerateObject())
        {
            var name = argument.Name;
            Read(() => call.String(name));
            Read(() => call.Bool(name));
            Read(() => call.Long(name));
            Read(() => call.Double(name));
            Read(() => call.Ints(name));
        }
    }

    private static void Read(Func<object?> reader)
    {
        try
        {
            reader();
        }
        catch (RpcError)
        {
        }
    }
}
