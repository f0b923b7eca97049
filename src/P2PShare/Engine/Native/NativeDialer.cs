using System.Net;
using System.Net.Sockets;
using Microsoft.Extensions.Logging;
using P2PShare.Networking.Native;
using P2PShare.Networking.Peers;

namespace P2PShare.Engine.Native;

/// <summary>
/// Keeps connections to native peers, for native mode (<see cref="NativeNode"/>) and a torrent's native peers alike:
/// the addresses and their back-off live in the engine's <see cref="AddressBook{TAddress, TEntry}"/>, dials take
/// <see cref="DialSlots"/> (within the engine's <see cref="ConnectionBudget"/>), and the TCP stream is opened by the
/// engine's <see cref="TcpPeerTransport"/>. Given addresses are redialled for ever, addresses learnt by exchange a few
/// times each time they are learnt. The owner establishes the native handshake and runs the session. Shares the
/// owner's lock.
/// </summary>
internal sealed class NativeDialer(
    object gate,
    NativeDialOptions options,
    ConnectionBudget budget,
    TimeProvider time,
    Random random,
    ILogger logger,
    Action<Task> track,
    Func<Stream, IPEndPoint, CancellationToken, Task<NativeConnection>> establish,
    Func<string, bool> isConnected,
    Func<NativeConnection, Task<bool>> run,
    CancellationToken lifetime)
{
    private readonly AddressBook<string, NativeDialEntry> _addresses = new(options.MaxKnown, Math.Max(1, options.ExchangedPeerAttempts) * 3, time, random);
    private readonly DialSlots _slots = new(budget, options.MaxHalfOpen);

    /// <summary>Addresses known. Read under the lock.</summary>
    public int KnownCount => _addresses.Count;

    /// <summary>Dials in progress now.</summary>
    public int Connecting => _slots.Count;

    /// <summary>
    /// Keeps a connection to <paramref name="endPoint"/> (unless one is kept already). Learning an address again re-arms
    /// one given up after failed dials (with a back-off), a bounded number of times. Takes the lock.
    /// </summary>
    public void Dial(DnsEndPoint endPoint, bool persistent, string? knownId)
    {
        var key = $"{endPoint.Host}:{endPoint.Port}";
        NativeDialEntry? entry;
        lock (gate)
        {
            if (lifetime.IsCancellationRequested)
                return;
            entry = _addresses.Learn(key, _ => new NativeDialEntry(endPoint));
            if (entry is null || entry.Looping || entry.GivenUp)
                return;
            entry.Persistent |= persistent;
            if (knownId is not null)
                entry.KnownId = knownId;
            entry.Looping = true;
        }
        track(DialLoopAsync(entry, key, lifetime));
    }

    private async Task DialLoopAsync(NativeDialEntry entry, string key, CancellationToken cancellationToken)
    {
        var attempts = 0;
        try
        {
            while (!cancellationToken.IsCancellationRequested)
            {
                bool alreadyConnected;
                TimeSpan wait;
                lock (gate)
                {
                    alreadyConnected = entry.KnownId is { } id && isConnected(id);
                    wait = _addresses.WaitFor(entry);
                }
                if (alreadyConnected)
                {
                    // The peer dialled us (or we hold a duplicate): nothing to do until that connection ends.
                    if (!entry.Persistent)
                        return;
                    await Task.Delay(TimeSpan.FromSeconds(1), time, cancellationToken).ConfigureAwait(false);
                    continue;
                }
                if (wait > TimeSpan.Zero)
                {
                    await Task.Delay(wait, time, cancellationToken).ConfigureAwait(false);
                    continue;
                }
                if (!_slots.TryTake())
                {
                    await Task.Delay(options.ReconnectDelay, time, cancellationToken).ConfigureAwait(false);
                    continue;
                }
                NativeConnection? connection = null;
                Exception? failure = null;
                lock (gate)
                    _addresses.DialStarted(entry);
                try
                {
                    connection = await ConnectAsync(entry.EndPoint, cancellationToken).ConfigureAwait(false);
                }
                catch (Exception error) when (!cancellationToken.IsCancellationRequested && IsConnectFailure(error))
                {
                    failure = error;
                }
                finally
                {
                    _slots.Release();
                    if (connection is null)
                    {
                        lock (gate)
                            entry.IsConnecting = false;
                    }
                }
                if (connection is null)
                {
                    attempts++;
                    var giveUp = !entry.Persistent && attempts >= Math.Max(1, options.ExchangedPeerAttempts);
                    lock (gate)
                        _addresses.DialFailed(entry, giveUp ? null : AddressBook<string, NativeDialEntry>.Backoff(attempts - 1, options.ReconnectDelay, options.MaxReconnectDelay, random));
                    if (giveUp)
                    {
                        logger.LogInformation("Giving up on {Endpoint}: {Error}", key, failure?.Message);
                        return;
                    }
                    logger.LogDebug("Connecting to {Endpoint} failed ({Error}); attempt {Attempt} follows", key, failure?.Message, attempts + 1);
                    continue;
                }
                attempts = 0;
                lock (gate)
                {
                    _addresses.DialSucceeded(entry);
                    entry.IsConnected = true;
                    entry.KnownId = connection.RemoteHandshake.Id;
                }
                bool accepted;
                try
                {
                    accepted = await run(connection).ConfigureAwait(false);
                }
                finally
                {
                    lock (gate)
                        entry.IsConnected = false;
                }
                if (!accepted && !entry.Persistent)
                    return;
                lock (gate)
                    _addresses.RetryAfter(entry, accepted ? options.ReconnectDelay : options.MaxReconnectDelay);
            }
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
        }
        finally
        {
            lock (gate)
                entry.Looping = false;
        }
    }

    private static bool IsConnectFailure(Exception error) =>
        error is SocketException or IOException or TimeoutException or OperationCanceledException
            or System.Security.Authentication.AuthenticationException or InvalidDataException;

    /// <summary>Opens the TCP stream and has the owner run the native handshake, all within twice the connect timeout.</summary>
    private async Task<NativeConnection> ConnectAsync(DnsEndPoint endPoint, CancellationToken cancellationToken)
    {
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        deadline.CancelAfter(options.ConnectTimeout + options.ConnectTimeout);
        var (stream, remote) = await OpenStreamAsync(endPoint, options.ConnectTimeout, deadline.Token).ConfigureAwait(false);
        try
        {
            return await establish(stream, remote, deadline.Token).ConfigureAwait(false);
        }
        catch
        {
            await stream.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    /// <summary>A TCP stream to the first address of the name that answers within <paramref name="connectTimeout"/>.</summary>
    public static async Task<(Stream Stream, IPEndPoint Remote)> OpenStreamAsync(DnsEndPoint endPoint, TimeSpan connectTimeout, CancellationToken cancellationToken)
    {
        var addresses = IPAddress.TryParse(endPoint.Host, out var literal)
            ? [literal]
            : await Dns.GetHostAddressesAsync(endPoint.Host, cancellationToken).ConfigureAwait(false);
        Exception? last = null;
        foreach (var address in addresses)
        {
            var remote = new IPEndPoint(address.IsIPv4MappedToIPv6 ? address.MapToIPv4() : address, endPoint.Port);
            using var attempt = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            attempt.CancelAfter(connectTimeout);
            try
            {
                return (await TcpPeerTransport.Instance.ConnectAsync(remote, attempt.Token).ConfigureAwait(false), remote);
            }
            catch (Exception error) when (error is SocketException or OperationCanceledException && !cancellationToken.IsCancellationRequested)
            {
                last = error is OperationCanceledException ? new TimeoutException($"no answer from {remote} within {connectTimeout.TotalSeconds:0.#} s") : error;
            }
        }
        throw last ?? new SocketException((int)SocketError.HostNotFound);
    }
}
