using System.Net;
using P2PShare.Networking.Peers;

namespace P2PShare.Engine;

/// <summary>What others tell us about how a peer can be reached, passed on to the engine-wide transport.</summary>
internal sealed partial class PeerDialer
{
    /// <summary>
    /// BEP 11's uTP flag for <paramref name="endPoints"/>: with <c>--transport both</c> their next dial tries uTP first
    /// (see <see cref="TcpAndUtpTransport.HintUtp"/>); with a single transport there is nothing to choose. Returns how
    /// many hints were taken (addresses whose transport we had not learnt ourselves).
    /// </summary>
    public int HintUtp(IEnumerable<IPEndPoint> endPoints)
    {
        if (_shared.Transport is not TcpAndUtpTransport transport)
            return 0;
        var taken = 0;
        foreach (var endPoint in endPoints)
        {
            if (transport.HintUtp(endPoint))
                taken++;
        }
        return taken;
    }
}
