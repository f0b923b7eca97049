using System.Security.Cryptography;

namespace P2PShare.Cli.Rpc;

/// <summary>
/// The X-Transmission-Session-Id a client must echo (the protocol's CSRF guard): random per daemon process, so a page
/// on another site cannot know it.
/// </summary>
internal sealed class RpcSessionId
{
    public const string Header = "X-Transmission-Session-Id";

    public string Value { get; } = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(24));

    public bool Matches(string? candidate) =>
        candidate is not null && CryptographicOperations.FixedTimeEquals(System.Text.Encoding.ASCII.GetBytes(candidate), System.Text.Encoding.ASCII.GetBytes(Value));
}
