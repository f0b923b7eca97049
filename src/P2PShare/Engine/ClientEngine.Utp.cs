using System.Threading.Channels;
using Microsoft.Extensions.Logging;
using P2PShare.Networking.Peers;
using P2PShare.Networking.Udp;
using P2PShare.Networking.Utp;

namespace P2PShare.Engine;

/// <summary>uTP (BEP 29) in the engine: one manager on the shared UDP port, its accepted streams go through the same handshake routing as TCP.</summary>
internal sealed partial class ClientEngine
{
    /// <summary>TCP's head start when a peer of unknown transport is dialled over both (RFC 8305's connection attempt delay).</summary>
    public static readonly TimeSpan UtpDialDelay = TimeSpan.FromMilliseconds(250);

    /// <summary>The uTP manager on <see cref="Udp"/>; null when <see cref="EngineSettings.Transport"/> is TCP or there is no UDP port.</summary>
    public UtpSocketManager? Utp { get; }

    private static UtpSocketManager? CreateUtp(EngineSettings settings, UdpPort? udp, TimeProvider time, Random random, ILoggerFactory loggers) =>
        settings.Transport == PeerTransportMode.Tcp || udp is null
            ? null
            : new UtpSocketManager(udp, new UtpOptions(), time, new Random(random.Next()), loggers.CreateLogger<UtpSocketManager>());

    private static IPeerTransport CreateTransport(EngineSettings settings, UtpSocketManager? utp) => (settings.Transport, utp) switch
    {
        (_, null) => TcpPeerTransport.Instance,
        (PeerTransportMode.Utp, _) => new UtpPeerTransport(utp),
        _ => new TcpAndUtpTransport(utp, TcpPeerTransport.Instance, UtpDialDelay),
    };

    private void StartUtp()
    {
        if (Utp is null)
            return;
        Udp!.AddHandler(Utp);
        _loops.Add(AcceptUtpAsync(Utp, _lifetime.Token));
    }

    /// <summary>
    /// Takes accepted uTP connections one at a time: the manager's backlog bounds those waiting here, and the
    /// pending-handshake cap (shared with TCP) those handshaking.
    /// </summary>
    private async Task AcceptUtpAsync(UtpSocketManager utp, CancellationToken cancellationToken)
    {
        while (!cancellationToken.IsCancellationRequested)
        {
            UtpStream stream;
            try
            {
                stream = await utp.AcceptAsync(cancellationToken).ConfigureAwait(false);
            }
            catch (Exception error) when (error is OperationCanceledException or ChannelClosedException or ObjectDisposedException)
            {
                return;
            }
            // A peer that reached us over uTP listens for uTP at that very address (the UDP port is its listen port).
            (Resources.Transport as TcpAndUtpTransport)?.Remember(stream.RemoteEndPoint, usesUtp: true);
            _ = OnAcceptedAsync(stream, stream.RemoteEndPoint, UtpPeerTransport.TransportName, cancellationToken);
        }
    }
}
