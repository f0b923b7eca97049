using System.Globalization;
using System.Net;
using System.Security;
using System.Text;
using System.Xml;

namespace P2PShare.Protocol.PortMapping;

/// <summary>
/// The SOAP actions of a WANIPConnection/WANPPPConnection service that we use: AddPortMapping, DeletePortMapping and
/// GetExternalIPAddress. Builds the envelope and the SOAPAction header; reads an answer (an action response or a UPnP
/// error) within <see cref="MaxResponseBytes"/>, without DTDs.
/// </summary>
internal static class UpnpSoap
{
    public const int MaxResponseBytes = 16 * 1024;

    /// <summary>UPnP error 725: the router only accepts permanent (lease 0) mappings (IGD v1 routers).</summary>
    public const int OnlyPermanentLeasesSupported = 725;

    /// <summary>UPnP error 718: the external port is mapped to another client already.</summary>
    public const int ConflictInMappingEntry = 718;

    public static string SoapActionHeader(string serviceType, string action) => $"\"{serviceType}#{action}\"";

    public static string AddPortMapping(string serviceType, TransportProtocol protocol, int externalPort, IPAddress internalClient, int internalPort,
        string description, TimeSpan lease) =>
        Envelope(serviceType, "AddPortMapping",
        [
            ("NewRemoteHost", ""),
            ("NewExternalPort", externalPort.ToString(CultureInfo.InvariantCulture)),
            ("NewProtocol", Name(protocol)),
            ("NewInternalPort", internalPort.ToString(CultureInfo.InvariantCulture)),
            ("NewInternalClient", internalClient.ToString()),
            ("NewEnabled", "1"),
            ("NewPortMappingDescription", description),
            ("NewLeaseDuration", ((long)lease.TotalSeconds).ToString(CultureInfo.InvariantCulture)),
        ]);

    public static string DeletePortMapping(string serviceType, TransportProtocol protocol, int externalPort) =>
        Envelope(serviceType, "DeletePortMapping",
        [
            ("NewRemoteHost", ""),
            ("NewExternalPort", externalPort.ToString(CultureInfo.InvariantCulture)),
            ("NewProtocol", Name(protocol)),
        ]);

    public static string GetExternalIPAddress(string serviceType) => Envelope(serviceType, "GetExternalIPAddress", []);

    public static string Name(TransportProtocol protocol) => protocol == TransportProtocol.Tcp ? "TCP" : "UDP";

    private static string Envelope(string serviceType, string action, IReadOnlyList<(string Name, string Value)> arguments)
    {
        var body = new StringBuilder();
        body.Append("<?xml version=\"1.0\"?>\r\n")
            .Append("<s:Envelope xmlns:s=\"http://schemas.xmlsoap.org/soap/envelope/\" s:encodingStyle=\"http://schemas.xmlsoap.org/soap/encoding/\">")
            .Append("<s:Body><u:").Append(action).Append(" xmlns:u=\"").Append(SecurityElement.Escape(serviceType)).Append("\">");
        foreach (var (name, value) in arguments)
            body.Append('<').Append(name).Append('>').Append(SecurityElement.Escape(value)).Append("</").Append(name).Append('>');
        body.Append("</u:").Append(action).Append("></s:Body></s:Envelope>\r\n");
        return body.ToString();
    }

    /// <summary>
    /// Reads an answer: the output arguments of a success (name → text), or a <see cref="UpnpSoapFault"/> carrying the
    /// UPnP errorCode and errorDescription of a failure.
    /// </summary>
    public static IReadOnlyDictionary<string, string> ParseResponse(ReadOnlySpan<byte> xml)
    {
        if (xml.Length > MaxResponseBytes)
            throw new PortMappingProtocolException($"SOAP answer of {xml.Length} bytes (at most {MaxResponseBytes})");
        var settings = new XmlReaderSettings { DtdProcessing = DtdProcessing.Prohibit, XmlResolver = null, MaxCharactersInDocument = MaxResponseBytes, IgnoreWhitespace = true };
        var values = new Dictionary<string, string>(StringComparer.Ordinal);
        int? errorCode = null;
        string? errorDescription = null;
        var inResponse = false;
        var sawFault = false;
        try
        {
            using var stream = new MemoryStream(xml.ToArray(), writable: false);
            using var reader = XmlReader.Create(stream, settings);
            while (reader.Read())
            {
                if (reader.NodeType != XmlNodeType.Element)
                    continue;
                var name = reader.LocalName;
                if (name == "Fault")
                    sawFault = true;
                else if (name == "errorCode")
                    errorCode = int.TryParse(reader.ReadElementContentAsString().Trim(), NumberStyles.Integer, CultureInfo.InvariantCulture, out var code) ? code : -1;
                else if (name == "errorDescription")
                    errorDescription = reader.ReadElementContentAsString().Trim();
                else if (name.EndsWith("Response", StringComparison.Ordinal))
                    inResponse = true;
                else if (inResponse && name.StartsWith("New", StringComparison.Ordinal) && values.Count < 32)
                    values[name] = reader.ReadElementContentAsString().Trim();
            }
        }
        catch (XmlException error)
        {
            throw new PortMappingProtocolException($"SOAP answer is not well-formed XML: {error.Message}");
        }
        if (sawFault || errorCode is not null)
            throw new UpnpSoapFault(errorCode ?? -1, errorDescription ?? "no description");
        if (!inResponse)
            throw new PortMappingProtocolException("SOAP answer has neither a response element nor a fault");
        return values;
    }
}
