using System.Net;

namespace P2PShare.Engine;

/// <summary>IP addresses banned for sending bad data, each until its ban expires. Guarded by the session lock.</summary>
internal sealed class PeerBans(TimeProvider time, TimeSpan duration)
{
    private readonly Dictionary<IPAddress, DateTimeOffset> _until = [];

    public int Count => _until.Count;

    public void Ban(IPAddress address) => _until[Normalize(address)] = time.GetUtcNow() + duration;

    public bool IsBanned(IPAddress address)
    {
        var key = Normalize(address);
        if (!_until.TryGetValue(key, out var until))
            return false;
        if (until > time.GetUtcNow())
            return true;
        _until.Remove(key);
        return false;
    }

    private static IPAddress Normalize(IPAddress address) => address.IsIPv4MappedToIPv6 ? address.MapToIPv4() : address;
}
