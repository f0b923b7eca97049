using System.Globalization;
using System.Net;
using System.Text;
using Microsoft.Extensions.Logging;
using P2PShare.Protocol.PortMapping;

namespace P2PShare.Networking.PortMapping;

/// <summary>
/// A WANIPConnection/WANPPPConnection service of a UPnP Internet Gateway Device, driven over SOAP; every request is
/// bounded in time and size (<see cref="BoundedHttp"/>). A router that accepts only permanent mappings (error 725)
/// gets lease 0, and the mapping is deleted at exit as any other.
/// </summary>
internal sealed class UpnpIgdDevice : IPortMappingMethod
{
    private readonly HttpClient _http;
    private readonly IPAddress _client;
    private readonly PortMappingOptions _options;

    private UpnpIgdDevice(HttpClient http, IgdService service, IPAddress client, PortMappingOptions options)
    {
        _http = http;
        Service = service;
        _client = client;
        _options = options;
    }

    public string Name => "UPnP";

    public IgdService Service { get; }

    /// <summary>Reads the description at <paramref name="location"/> and returns its best mapping service, or throws <see cref="PortMappingException"/>.</summary>
    public static async Task<UpnpIgdDevice> OpenAsync(Uri location, IPAddress client, PortMappingOptions options, ILogger logger, CancellationToken cancellationToken)
    {
        var http = BoundedHttp.CreateClient();
        try
        {
            using var request = new HttpRequestMessage(HttpMethod.Get, location);
            var (status, body) = await BoundedHttp.SendAsync(http, request, IgdDescriptionParser.MaxDescriptionBytes, options.HttpTimeout, cancellationToken)
                .ConfigureAwait(false);
            if (status != 200)
                throw new PortMappingException($"{location} answered HTTP {status}");
            IReadOnlyList<IgdService> services;
            try
            {
                services = IgdDescriptionParser.Parse(body, location);
            }
            catch (PortMappingProtocolException error)
            {
                throw new PortMappingException($"{location}: {error.Message}");
            }
            if (services.Count == 0)
                throw new PortMappingException($"{location} describes no WANIPConnection or WANPPPConnection service");
            logger.LogDebug("IGD at {Location}: {Service} at {Control}", location, services[0].ServiceType, services[0].ControlUrl);
            return new UpnpIgdDevice(http, services[0], client, options);
        }
        catch
        {
            http.Dispose();
            throw;
        }
    }

    public async Task<PortMapping> MapAsync(TransportProtocol protocol, int internalPort, int externalPort, TimeSpan lease, CancellationToken cancellationToken)
    {
        try
        {
            await CallAsync("AddPortMapping", UpnpSoap.AddPortMapping(Service.ServiceType, protocol, externalPort, _client, internalPort, _options.Description, lease),
                cancellationToken).ConfigureAwait(false);
            return new PortMapping(protocol, internalPort, externalPort, lease);
        }
        catch (UpnpSoapFault fault) when (fault.ErrorCode == UpnpSoap.OnlyPermanentLeasesSupported && lease > TimeSpan.Zero)
        {
            return await MapAsync(protocol, internalPort, externalPort, TimeSpan.Zero, cancellationToken).ConfigureAwait(false);
        }
        catch (UpnpSoapFault fault)
        {
            throw new PortMappingException($"UPnP AddPortMapping {protocol} {externalPort} refused: {fault.Message}");
        }
    }

    public async Task UnmapAsync(PortMapping mapping, CancellationToken cancellationToken)
    {
        try
        {
            await CallAsync("DeletePortMapping", UpnpSoap.DeletePortMapping(Service.ServiceType, mapping.Protocol, mapping.ExternalPort), cancellationToken)
                .ConfigureAwait(false);
        }
        catch (UpnpSoapFault fault)
        {
            throw new PortMappingException($"UPnP DeletePortMapping {mapping.Protocol} {mapping.ExternalPort} refused: {fault.Message}");
        }
    }

    public async Task<IPAddress?> GetExternalAddressAsync(CancellationToken cancellationToken)
    {
        try
        {
            var values = await CallAsync("GetExternalIPAddress", UpnpSoap.GetExternalIPAddress(Service.ServiceType), cancellationToken).ConfigureAwait(false);
            return values.TryGetValue("NewExternalIPAddress", out var text) && IPAddress.TryParse(text, out var address) ? address : null;
        }
        catch (UpnpSoapFault fault)
        {
            throw new PortMappingException($"UPnP GetExternalIPAddress refused: {fault.Message}");
        }
    }

    private async Task<IReadOnlyDictionary<string, string>> CallAsync(string action, string envelope, CancellationToken cancellationToken)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, Service.ControlUrl)
        {
            Content = new StringContent(envelope, Encoding.UTF8, "text/xml"),
        };
        request.Content.Headers.ContentType!.CharSet = "\"utf-8\"";
        request.Headers.TryAddWithoutValidation("SOAPAction", UpnpSoap.SoapActionHeader(Service.ServiceType, action));
        request.Headers.ConnectionClose = true;
        var (status, body) = await BoundedHttp.SendAsync(_http, request, UpnpSoap.MaxResponseBytes, _options.HttpTimeout, cancellationToken).ConfigureAwait(false);
        try
        {
            // Errors come as HTTP 500 with a SOAP fault; both cases are read by the codec.
            return UpnpSoap.ParseResponse(body);
        }
        catch (PortMappingProtocolException error)
        {
            throw new PortMappingException($"UPnP {action}: HTTP {status.ToString(CultureInfo.InvariantCulture)}, {error.Message}");
        }
    }

    public ValueTask DisposeAsync()
    {
        _http.Dispose();
        return ValueTask.CompletedTask;
    }
}
