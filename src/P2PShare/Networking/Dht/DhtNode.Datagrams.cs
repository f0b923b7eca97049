using System.Net;
using Microsoft.Extensions.Logging;
using P2PShare.Protocol.Dht;

namespace P2PShare.Networking.Dht;

internal sealed partial class DhtNode
{
    private readonly Dictionary<IPAddress, HashSet<IPEndPoint>> _externalVotes = [];

    /// <summary>Takes KRPC datagrams (they start with 'd'). Runs on the UDP receive loop: decodes, answers, never blocks.</summary>
    public bool TryHandle(ReadOnlySpan<byte> datagram, IPEndPoint from)
    {
        if (datagram.IsEmpty || datagram[0] != (byte)'d')
            return false;
        if (datagram.Length > KrpcLimits.MaxDatagram)
        {
            Interlocked.Increment(ref _dropped);
            return true;
        }
        KrpcMessage message;
        try
        {
            message = KrpcCodec.Decode(datagram.ToArray());
        }
        catch (KrpcException error)
        {
            Interlocked.Increment(ref _dropped);
            _logger.LogTrace("DHT: bad message from {From}: {Problem}", from, error.Problem);
            if (error.WasQuery && error.TransactionId is { } tid && Admit(from))
                Send(new KrpcError(tid, error.Code, error.Problem.Length > 100 ? error.Problem[..100] : error.Problem), from);
            return true;
        }
        switch (message)
        {
            case KrpcQuery query:
                if (Admit(from))
                    Answer(query, from);
                break;
            default:
                if (!_transactions.TryComplete(message, from))
                    Interlocked.Increment(ref _dropped);
                break;
        }
        return true;
    }

    /// <summary>Sends a query and waits for its answer; null on timeout, an error reply, a full transaction table or cancellation.</summary>
    internal async Task<KrpcResponse?> QueryAsync(IPEndPoint to, NodeId? expectedId, Func<byte[], KrpcQuery> build,
        CancellationToken cancellationToken)
    {
        if (!_transactions.TryAdd(to, out var tid, out var reply))
            return null;
        try
        {
            var bytes = KrpcCodec.Encode(build(TransactionTable.ToBytes(tid)));
            Interlocked.Increment(ref _queriesSent);
            await _sender.SendAsync(bytes, to, cancellationToken).ConfigureAwait(false);
            var answer = await reply.WaitAsync(_options.QueryTimeout, _time, cancellationToken).ConfigureAwait(false);
            if (answer is not KrpcResponse response)
            {
                _logger.LogTrace("DHT: {To} answered with error {Error}", to, answer);
                return null;
            }
            lock (_gate)
            {
                _table.Heard(new NodeContact(response.SenderId, to), responded: true);
                if (response.RequesterAddress is { } seenAs)
                    VoteExternalAddress(seenAs.Address, to);
            }
            return response;
        }
        catch (TimeoutException)
        {
            if (expectedId is { } id)
            {
                lock (_gate)
                    _table.Failed(id);
            }
            return null;
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            return null;
        }
        finally
        {
            _transactions.Remove(tid);
        }
    }

    private bool Admit(IPEndPoint from)
    {
        lock (_gate)
        {
            if (_limiter.TryAcquire(from.Address))
                return true;
        }
        Interlocked.Increment(ref _dropped);
        return false;
    }

    private void Answer(KrpcQuery query, IPEndPoint from)
    {
        Interlocked.Increment(ref _queriesReceived);
        KrpcMessage reply;
        lock (_gate)
        {
            if (!query.ReadOnly)
                _table.Heard(new NodeContact(query.SenderId, from), responded: false);
            reply = query.Method switch
            {
                KrpcMethod.Ping => new KrpcResponse(query.TransactionId, Id),
                KrpcMethod.FindNode => new KrpcResponse(query.TransactionId, Id)
                {
                    Nodes = _table.Closest(query.Target!.Value, _options.BucketSize),
                },
                KrpcMethod.GetPeers => new KrpcResponse(query.TransactionId, Id)
                {
                    Token = _tokens.Create(from.Address),
                    Values = _peers.Get(query.InfoHash!.Value, _options.MaxValuesPerResponse, _random),
                    Nodes = _table.Closest(query.InfoHash!.Value, _options.BucketSize),
                },
                KrpcMethod.AnnouncePeer => Announced(query, from),
                _ => new KrpcError(query.TransactionId, KrpcErrorCode.MethodUnknown, "Method Unknown"),
            };
        }
        Send(reply, from);
    }

    private KrpcMessage Announced(KrpcQuery query, IPEndPoint from)
    {
        if (!_tokens.IsValid(query.Token, from.Address))
            return new KrpcError(query.TransactionId, KrpcErrorCode.Protocol, "bad token");
        var port = query.ImpliedPort ? from.Port : query.Port;
        if (port == 0)
            return new KrpcError(query.TransactionId, KrpcErrorCode.Protocol, "port 0");
        _peers.Add(query.InfoHash!.Value, new IPEndPoint(from.Address, port));
        return new KrpcResponse(query.TransactionId, Id);
    }

    private void Send(KrpcMessage message, IPEndPoint to)
    {
        var bytes = KrpcCodec.Encode(message, to);
        _ = SendQuietlyAsync(bytes, to);
    }

    private async Task SendQuietlyAsync(byte[] bytes, IPEndPoint to)
    {
        try
        {
            await _sender.SendAsync(bytes, to, CancellationToken.None).ConfigureAwait(false);
        }
        catch (Exception error) when (error is ObjectDisposedException or System.Net.Sockets.SocketException)
        {
            _logger.LogTrace("DHT: reply to {To} not sent: {Error}", to, error.Message);
        }
    }

    /// <summary>BEP 42: an address counts as ours once three different nodes report it. Bounded: 16 addresses, 16 voters each.</summary>
    private void VoteExternalAddress(IPAddress seenAs, IPEndPoint voter)
    {
        if (_externalVotes.Count >= 16 && !_externalVotes.ContainsKey(seenAs))
            _externalVotes.Clear();
        if (!_externalVotes.TryGetValue(seenAs, out var voters))
            _externalVotes[seenAs] = voters = [];
        if (voters.Count < 16)
            voters.Add(voter);
        if (voters.Count >= 3 && !seenAs.Equals(ExternalAddress))
        {
            ExternalAddress = seenAs;
            _logger.LogInformation("DHT: our external address is {Address}", seenAs);
        }
    }
}
