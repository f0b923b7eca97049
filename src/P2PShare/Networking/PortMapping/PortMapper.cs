using System.Net;
using Microsoft.Extensions.Logging;
using P2PShare.Protocol.PortMapping;

namespace P2PShare.Networking.PortMapping;

/// <summary>
/// Keeps the listen port mapped on the router, TCP and UDP, in the background: PCP/NAT-PMP at the default gateway
/// first, then UPnP IGD devices found by SSDP; renews at half the lease, tries again with a doubling wait when nothing
/// worked, and deletes the mappings when disposed. It never delays the caller: <see cref="Start"/> returns at once,
/// and every exchange with a router is bounded (<see cref="PortMappingOptions"/>).
/// </summary>
internal sealed class PortMapper : IAsyncDisposable
{
    private static readonly TimeSpan UnmapTimeout = TimeSpan.FromSeconds(3);
    private static readonly TimeSpan MinRenewWait = TimeSpan.FromSeconds(30);
    private static readonly TimeSpan PermanentRecheck = TimeSpan.FromMinutes(30);
    private readonly int _port;
    private readonly IPAddress _listenAddress;
    private readonly PortMappingOptions _options;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly CancellationTokenSource _lifetime = new();
    private readonly object _gate = new();
    private IPortMappingMethod? _method;
    private List<PortMapping> _mappings = [];
    private Task _loop = Task.CompletedTask;
    private volatile PortMappingStatus _status = PortMappingStatus.Trying;
    private int _disposed;

    public PortMapper(int port, IPAddress listenAddress, PortMappingOptions options, TimeProvider time, ILogger logger)
    {
        _port = port;
        _listenAddress = listenAddress;
        _options = options;
        _time = time;
        _logger = logger;
    }

    public PortMappingStatus Status => _status;

    /// <summary>The external address the router reported; null until one did.</summary>
    public IPAddress? ExternalAddress => _status.ExternalAddress;

    /// <summary>Raised (on a background thread) whenever <see cref="Status"/> changes.</summary>
    public event Action<PortMappingStatus>? StatusChanged;

    /// <summary>Raised when the router reports an external address different from the last one.</summary>
    public event Action<IPAddress>? ExternalAddressChanged;

    public void Start() => _loop = Task.Run(() => RunAsync(_lifetime.Token));

    private async Task RunAsync(CancellationToken cancellationToken)
    {
        var retry = _options.RetryWait;
        while (!cancellationToken.IsCancellationRequested)
        {
            TimeSpan wait;
            try
            {
                if (_method is null)
                    await DiscoverAndMapAsync(cancellationToken).ConfigureAwait(false);
                else
                    await RenewAsync(cancellationToken).ConfigureAwait(false);
                retry = _options.RetryWait;
                var shortest = _mappings.Min(m => m.Lifetime);
                wait = shortest <= TimeSpan.Zero ? PermanentRecheck : TimeSpan.FromTicks(Math.Max(MinRenewWait.Ticks, shortest.Ticks / 2));
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception error)
            {
                Publish(new PortMappingStatus(PortMappingState.NotMapped, null, _status.ExternalAddress, null, null, error.Message));
                _logger.LogInformation("Port {Port} not mapped: {Reason}; trying again in {Wait}", _port, error.Message, retry);
                await DropMethodAsync().ConfigureAwait(false);
                wait = retry;
                retry = TimeSpan.FromTicks(Math.Min(retry.Ticks * 2, _options.MaxRetryWait.Ticks));
            }
            try
            {
                await Task.Delay(wait, _time, cancellationToken).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                return;
            }
        }
    }

    private async Task DiscoverAndMapAsync(CancellationToken cancellationToken)
    {
        if (IPAddress.IsLoopback(_listenAddress))
            throw new PortMappingException($"listening on {_listenAddress} only (loopback)");
        Publish(PortMappingStatus.Trying);
        var reasons = new List<string>();
        if (_options.NatPmp || _options.Pcp)
        {
            var gateways = _options.Gateway is { } given ? [given] : LocalRoutes.DefaultGateways();
            if (gateways.Count == 0)
                reasons.Add("NAT-PMP/PCP: no default gateway");
            foreach (var gateway in gateways)
            {
                var local = SpecificOr(LocalRoutes.SourceAddressFor(gateway));
                if (local is null)
                    continue;
                var method = new NatPmpGateway(gateway, local, _options);
                if (await TryMethodAsync(method, reasons, cancellationToken).ConfigureAwait(false))
                    return;
            }
        }
        if (_options.Upnp)
        {
            var answers = await SsdpSearch.FindGatewaysAsync(SpecificOr(IPAddress.Any)!, _options, _logger, cancellationToken).ConfigureAwait(false);
            if (answers.Count == 0)
                reasons.Add($"UPnP: no gateway answered the SSDP search within {_options.SearchTime.TotalSeconds:0.#} s");
            foreach (var answer in answers)
            {
                var local = SpecificOr(IPAddress.TryParse(answer.Location.Host, out var host) ? LocalRoutes.SourceAddressFor(host) : null);
                if (local is null)
                    continue;
                UpnpIgdDevice device;
                try
                {
                    device = await UpnpIgdDevice.OpenAsync(answer.Location, local, _options, _logger, cancellationToken).ConfigureAwait(false);
                }
                catch (PortMappingException error)
                {
                    reasons.Add($"UPnP: {error.Message}");
                    continue;
                }
                if (await TryMethodAsync(device, reasons, cancellationToken).ConfigureAwait(false))
                    return;
            }
        }
        throw new PortMappingException(reasons.Count == 0 ? "no method enabled" : string.Join("; ", reasons));
    }

    private IPAddress? SpecificOr(IPAddress? fallback) =>
        IPAddress.Any.Equals(_listenAddress) || IPAddress.IPv6Any.Equals(_listenAddress) ? fallback : _listenAddress;

    /// <summary>Maps TCP (required) and UDP (best effort) through <paramref name="method"/>; keeps it on success, disposes it otherwise.</summary>
    private async Task<bool> TryMethodAsync(IPortMappingMethod method, List<string> reasons, CancellationToken cancellationToken)
    {
        try
        {
            var tcp = await method.MapAsync(TransportProtocol.Tcp, _port, _port, _options.Lease, cancellationToken).ConfigureAwait(false);
            var mappings = new List<PortMapping> { tcp };
            string? udpProblem = null;
            try
            {
                mappings.Add(await method.MapAsync(TransportProtocol.Udp, _port, _port, _options.Lease, cancellationToken).ConfigureAwait(false));
            }
            catch (PortMappingException error)
            {
                udpProblem = error.Message;
            }
            IPAddress? external = null;
            try
            {
                external = await method.GetExternalAddressAsync(cancellationToken).ConfigureAwait(false);
            }
            catch (PortMappingException error)
            {
                _logger.LogDebug("{Method}: no external address: {Reason}", method.Name, error.Message);
            }
            lock (_gate)
            {
                _method = method;
                _mappings = mappings;
            }
            Report(method, mappings, external, udpProblem);
            return true;
        }
        catch (PortMappingException error)
        {
            reasons.Add($"{method.Name}: {error.Message}");
            await method.DisposeAsync().ConfigureAwait(false);
            return false;
        }
        catch
        {
            await method.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    private async Task RenewAsync(CancellationToken cancellationToken)
    {
        var method = _method!;
        var renewed = new List<PortMapping>();
        foreach (var mapping in _mappings)
            renewed.Add(await method.MapAsync(mapping.Protocol, mapping.InternalPort, mapping.ExternalPort, _options.Lease, cancellationToken).ConfigureAwait(false));
        IPAddress? external = _status.ExternalAddress;
        try
        {
            external = await method.GetExternalAddressAsync(cancellationToken).ConfigureAwait(false) ?? external;
        }
        catch (PortMappingException)
        {
        }
        lock (_gate)
            _mappings = renewed;
        Report(method, renewed, external, null);
    }

    private void Report(IPortMappingMethod method, List<PortMapping> mappings, IPAddress? external, string? udpProblem)
    {
        var previous = _status.ExternalAddress;
        var tcp = mappings.FirstOrDefault(m => m.Protocol == TransportProtocol.Tcp);
        var udp = mappings.FirstOrDefault(m => m.Protocol == TransportProtocol.Udp);
        Publish(new PortMappingStatus(PortMappingState.Mapped, method.Name, external, tcp?.ExternalPort, udp?.ExternalPort, udpProblem));
        _logger.LogInformation("Port {Port} mapped via {Method}: external {External}, TCP {Tcp}, UDP {Udp}, lease {Lease}",
            _port, method.Name, external, tcp?.ExternalPort, udp?.ExternalPort, mappings.Min(m => m.Lifetime));
        if (external is not null && !external.Equals(previous))
            ExternalAddressChanged?.Invoke(external);
    }

    private void Publish(PortMappingStatus status)
    {
        var old = _status;
        _status = status;
        if (old != status)
            StatusChanged?.Invoke(status);
    }

    private async Task DropMethodAsync()
    {
        IPortMappingMethod? method;
        lock (_gate)
        {
            method = _method;
            _method = null;
            _mappings = [];
        }
        if (method is not null)
            await method.DisposeAsync().ConfigureAwait(false);
    }

    /// <summary>Stops renewing and deletes the mappings (within a few seconds; a router that does not answer is left to expire them).</summary>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
            return;
        await _lifetime.CancelAsync().ConfigureAwait(false);
        await _loop.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        IPortMappingMethod? method;
        List<PortMapping> mappings;
        lock (_gate)
            (method, mappings) = (_method, _mappings);
        if (method is not null)
        {
            using var timeout = new CancellationTokenSource(UnmapTimeout);
            foreach (var mapping in mappings)
            {
                try
                {
                    await method.UnmapAsync(mapping, timeout.Token).ConfigureAwait(false);
                    _logger.LogInformation("Port mapping {Protocol} {External} deleted via {Method}", mapping.Protocol, mapping.ExternalPort, method.Name);
                }
                catch (Exception error) when (error is PortMappingException or OperationCanceledException)
                {
                    _logger.LogInformation("Port mapping {Protocol} {External} not deleted: {Reason}", mapping.Protocol, mapping.ExternalPort, error.Message);
                }
            }
        }
        await DropMethodAsync().ConfigureAwait(false);
        _lifetime.Dispose();
    }
}
