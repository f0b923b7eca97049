using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;
using P2PShare.Protocol.PortMapping;

namespace P2PShare.Networking.PortMapping;

/// <summary>
/// A gateway spoken to over UDP port 5351: PCP (RFC 6887) MAP first; if the gateway answers in NAT-PMP's version 0
/// (it does not know PCP), NAT-PMP (RFC 6886) from then on. Requests are retransmitted after 250 ms, doubling, a
/// bounded number of times; an ICMP "port unreachable" ends the wait at once.
/// </summary>
internal sealed class NatPmpGateway : IPortMappingMethod
{
    private const int MaxAnswerBytes = 1100;
    private readonly Socket _socket;
    private readonly IPEndPoint _server;
    private readonly IPAddress _client;
    private readonly PortMappingOptions _options;
    private readonly SemaphoreSlim _exchange = new(1, 1);
    private readonly Dictionary<(TransportProtocol, int), byte[]> _nonces = [];
    private bool _natPmpOnly;

    /// <param name="client">Our address as the gateway sees it (PCP requests carry it).</param>
    public NatPmpGateway(IPAddress gateway, IPAddress client, PortMappingOptions options)
    {
        _server = new IPEndPoint(gateway, NatPmpPacket.ServerPort);
        _client = client;
        _options = options;
        _natPmpOnly = !options.Pcp;
        _socket = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
        _socket.Bind(new IPEndPoint(client, 0));
        _socket.Connect(_server);
    }

    public string Name => _natPmpOnly ? "NAT-PMP" : "PCP";

    public IPAddress Gateway => _server.Address;

    public async Task<PortMapping> MapAsync(TransportProtocol protocol, int internalPort, int externalPort, TimeSpan lease, CancellationToken cancellationToken)
    {
        if (!_natPmpOnly)
        {
            var nonce = NonceFor(protocol, internalPort);
            var answer = await ExchangeAsync(PcpPacket.MapRequest(nonce, protocol, _client, internalPort, externalPort, lease),
                bytes => bytes.Length >= 4 && (bytes[0] == NatPmpPacket.Version || bytes[1] == 0x81), cancellationToken).ConfigureAwait(false);
            var map = PcpPacket.ParseMapResponse(answer);
            if (map.Result == PcpResult.UnsupportedVersion && _options.NatPmp)
                _natPmpOnly = true;
            else if (map.Result == PcpResult.UnsupportedVersion)
                throw new PortMappingException($"gateway {Gateway} speaks only NAT-PMP, which is switched off");
            else if (map.Result != PcpResult.Success)
                throw new PortMappingException($"PCP gateway {Gateway} refused the {protocol} mapping: {map.Result}");
            else if (!map.Nonce.AsSpan().SequenceEqual(nonce))
                throw new PortMappingException($"PCP gateway {Gateway} answered with another nonce");
            else
                return new PortMapping(protocol, internalPort, map.ExternalPort, map.Lifetime);
        }
        var request = NatPmpPacket.MapRequest(protocol, internalPort, externalPort, lease);
        var reply = await ExchangeAsync(request, bytes => bytes.Length >= 2 && bytes[0] == 0 && bytes[1] == (byte)(128 | request[1]), cancellationToken).ConfigureAwait(false);
        var response = NatPmpPacket.ParseMapResponse(reply, protocol);
        if (response.Result != NatPmpResult.Success)
            throw new PortMappingException($"NAT-PMP gateway {Gateway} refused the {protocol} mapping: {response.Result}");
        return new PortMapping(protocol, internalPort, response.ExternalPort, response.Lifetime);
    }

    public async Task UnmapAsync(PortMapping mapping, CancellationToken cancellationToken)
    {
        if (!_natPmpOnly)
        {
            var nonce = NonceFor(mapping.Protocol, mapping.InternalPort);
            var answer = await ExchangeAsync(PcpPacket.MapRequest(nonce, mapping.Protocol, _client, mapping.InternalPort, 0, TimeSpan.Zero),
                bytes => bytes.Length >= 4 && bytes[1] == 0x81, cancellationToken).ConfigureAwait(false);
            var map = PcpPacket.ParseMapResponse(answer);
            if (map.Result != PcpResult.Success)
                throw new PortMappingException($"PCP gateway {Gateway} did not delete the {mapping.Protocol} mapping: {map.Result}");
            return;
        }
        var request = NatPmpPacket.MapRequest(mapping.Protocol, mapping.InternalPort, 0, TimeSpan.Zero);
        var reply = await ExchangeAsync(request, bytes => bytes.Length >= 2 && bytes[0] == 0 && bytes[1] == (byte)(128 | request[1]), cancellationToken).ConfigureAwait(false);
        var response = NatPmpPacket.ParseMapResponse(reply, mapping.Protocol);
        if (response.Result != NatPmpResult.Success)
            throw new PortMappingException($"NAT-PMP gateway {Gateway} did not delete the {mapping.Protocol} mapping: {response.Result}");
    }

    /// <summary>NAT-PMP's address request (PCP servers answer it too: RFC 6887 keeps NAT-PMP's version 0 working).</summary>
    public async Task<IPAddress?> GetExternalAddressAsync(CancellationToken cancellationToken)
    {
        var reply = await ExchangeAsync(NatPmpPacket.ExternalAddressRequest(), bytes => bytes.Length >= 2 && bytes[0] == 0 && bytes[1] == 128, cancellationToken)
            .ConfigureAwait(false);
        var response = NatPmpPacket.ParseExternalAddressResponse(reply);
        return response.Result == NatPmpResult.Success ? response.ExternalAddress : null;
    }

    private byte[] NonceFor(TransportProtocol protocol, int internalPort)
    {
        lock (_nonces)
        {
            if (!_nonces.TryGetValue((protocol, internalPort), out var nonce))
                _nonces[(protocol, internalPort)] = nonce = RandomNumberGenerator.GetBytes(PcpPacket.NonceLength);
            return nonce;
        }
    }

    /// <summary>Sends, retransmits with doubling waits, and returns the first answer <paramref name="matches"/> accepts.</summary>
    private async Task<byte[]> ExchangeAsync(byte[] request, Func<byte[], bool> matches, CancellationToken cancellationToken)
    {
        await _exchange.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            var buffer = new byte[MaxAnswerBytes];
            var wait = _options.NatPmpFirstWait;
            for (var attempt = 0; attempt < _options.NatPmpTries; attempt++, wait *= 2)
            {
                await _socket.SendAsync(request, SocketFlags.None, cancellationToken).ConfigureAwait(false);
                using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
                timeout.CancelAfter(wait);
                try
                {
                    while (true)
                    {
                        var received = await _socket.ReceiveAsync(buffer, SocketFlags.None, timeout.Token).ConfigureAwait(false);
                        var answer = buffer.AsSpan(0, received).ToArray();
                        if (matches(answer))
                            return answer;
                    }
                }
                catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
                {
                }
                catch (SocketException error) when (error.SocketErrorCode is SocketError.ConnectionRefused or SocketError.ConnectionReset)
                {
                    throw new PortMappingException($"no NAT-PMP/PCP server at {_server} (port unreachable)");
                }
            }
            throw new PortMappingException($"no NAT-PMP/PCP answer from {_server} after {_options.NatPmpTries} tries");
        }
        finally
        {
            _exchange.Release();
        }
    }

    public ValueTask DisposeAsync()
    {
        _socket.Dispose();
        _exchange.Dispose();
        return ValueTask.CompletedTask;
    }
}
