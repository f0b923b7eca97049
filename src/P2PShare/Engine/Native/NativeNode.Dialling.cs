using System.Net;
using Microsoft.Extensions.Logging;
using P2PShare.Networking.Native;
using P2PShare.Protocol.Native;

namespace P2PShare.Engine.Native;

internal sealed partial class NativeNode
{
    private NativeDialer? _dialer;

    /// <summary>The engine's native dialer (address book, back-off, half-open slots), made on first use.</summary>
    private NativeDialer Dialer
    {
        get
        {
            lock (_gate)
            {
                return _dialer ??= new NativeDialer(_gate, new NativeDialOptions
                {
                    ConnectTimeout = _options.ConnectTimeout,
                    ReconnectDelay = _options.ReconnectDelay,
                    MaxReconnectDelay = _options.MaxReconnectDelay,
                    ExchangedPeerAttempts = _options.ExchangedPeerAttempts,
                    MaxKnown = _options.MaxKnownAddresses,
                    MaxHalfOpen = _options.MaxHalfOpen,
                }, new ConnectionBudget(_options.MaxConnections, _options.MaxHalfOpen), _time, Random.Shared, _logger, Track, EstablishAsync,
                    id => _sessions.ContainsKey(id), RunSessionAsync, _stop.Token);
            }
        }
    }

    private void HandlePeers(NativePeers peers)
    {
        foreach (var peer in peers.Peers)
        {
            if (peer.Id == Id || !NativeHostParser.TryParse(peer.Host, out var address))
                continue;
            lock (_gate)
            {
                if (_sessions.ContainsKey(peer.Id))
                    continue;
            }
            if (!NativePeerId.ShouldDial(Id, peer.Id))
            {
                _logger.LogDebug("Learnt peer {PeerId} at {Host}:{Port}; its id is greater, so it dials us", peer.Id, address, peer.Port);
                continue;
            }
            _logger.LogInformation("Learnt peer {PeerId} at {Host}:{Port} by exchange; dialling it", peer.Id, address, peer.Port);
            StartDialling(new DnsEndPoint(address.ToString(), peer.Port), persistent: false, peer.Id);
        }
    }

    private void StartDialling(DnsEndPoint endpoint, bool persistent, string? knownId) => Dialer.Dial(endpoint, persistent, knownId);

    private Task<NativeConnection> EstablishAsync(Stream stream, IPEndPoint remote, CancellationToken cancellationToken) =>
        NativeConnectionEstablisher.EstablishAsync(stream, remote, dialled: true, OwnHandshake(), _security,
            _options.Limits, _options.ConnectTimeout, _logger, cancellationToken);
}
