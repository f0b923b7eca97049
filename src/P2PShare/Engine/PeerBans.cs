using System.Net;
using P2PShare.Protocol.Wire;

namespace P2PShare.Engine;

/// <summary>
/// Peers banned for sending bad data, each until its ban expires. A ban covers the IP address, except on
/// loopback, where every local peer shares one address: there it covers the peer's listening address and
/// its peer id. Guarded by the session lock.
/// </summary>
internal sealed class PeerBans(TimeProvider time, TimeSpan duration)
{
    private readonly Dictionary<string, DateTimeOffset> _until = [];

    public int Count => _until.Count;

    public void Ban(IPEndPoint endPoint, PeerId peerId)
    {
        var expiry = time.GetUtcNow() + duration;
        var address = Normalize(endPoint.Address);
        if (IPAddress.IsLoopback(address))
        {
            _until[new IPEndPoint(address, endPoint.Port).ToString()] = expiry;
            _until["id:" + Convert.ToHexString(peerId.Span)] = expiry;
        }
        else
        {
            _until[address.ToString()] = expiry;
        }
    }

    public bool IsBanned(IPEndPoint endPoint, PeerId? peerId = null)
    {
        var address = Normalize(endPoint.Address);
        return IsActive(address.ToString())
            || IsActive(new IPEndPoint(address, endPoint.Port).ToString())
            || (peerId is not null && IsActive("id:" + Convert.ToHexString(peerId.Span)));
    }

    private bool IsActive(string key)
    {
        if (!_until.TryGetValue(key, out var until))
            return false;
        if (until > time.GetUtcNow())
            return true;
        _until.Remove(key);
        return false;
    }

    private static IPAddress Normalize(IPAddress address) => address.IsIPv4MappedToIPv6 ? address.MapToIPv4() : address;
}
