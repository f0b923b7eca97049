using System.Xml;

namespace P2PShare.Protocol.PortMapping;

/// <summary>
/// Reads an Internet Gateway Device's description (rootDesc.xml) and finds the services that map ports:
/// WANIPConnection (v1, v2) and WANPPPConnection. The XML is read without DTDs or external entities, within
/// <see cref="MaxDescriptionBytes"/> characters and <see cref="MaxServices"/> services; a description that breaks
/// these limits or is not XML is rejected with <see cref="PortMappingProtocolException"/>.
/// </summary>
internal static class IgdDescriptionParser
{
    public const int MaxDescriptionBytes = 64 * 1024;
    public const int MaxServices = 64;

    /// <summary>Service types that carry AddPortMapping, best first.</summary>
    public static IReadOnlyList<string> MappingServiceTypes { get; } =
    [
        "urn:schemas-upnp-org:service:WANIPConnection:2",
        "urn:schemas-upnp-org:service:WANIPConnection:1",
        "urn:schemas-upnp-org:service:WANPPPConnection:1",
    ];

    /// <summary>The mapping services in <paramref name="xml"/>, best first; relative control URLs resolved against URLBase or <paramref name="location"/>.</summary>
    public static IReadOnlyList<IgdService> Parse(ReadOnlySpan<byte> xml, Uri location)
    {
        if (xml.Length > MaxDescriptionBytes)
            throw new PortMappingProtocolException($"IGD description of {xml.Length} bytes (at most {MaxDescriptionBytes})");
        var settings = new XmlReaderSettings
        {
            DtdProcessing = DtdProcessing.Prohibit,
            XmlResolver = null,
            MaxCharactersInDocument = MaxDescriptionBytes,
            IgnoreComments = true,
            IgnoreWhitespace = true,
        };
        var found = new List<(string Type, string Control)>();
        string? urlBase = null;
        var services = 0;
        try
        {
            using var stream = new MemoryStream(xml.ToArray(), writable: false);
            using var reader = XmlReader.Create(stream, settings);
            string? type = null, control = null;
            while (reader.Read())
            {
                if (reader.NodeType == XmlNodeType.Element)
                {
                    switch (reader.LocalName)
                    {
                        case "URLBase":
                            urlBase = reader.ReadElementContentAsString().Trim();
                            break;
                        case "service":
                            if (++services > MaxServices)
                                throw new PortMappingProtocolException($"IGD description with more than {MaxServices} services");
                            type = control = null;
                            break;
                        case "serviceType":
                            type = reader.ReadElementContentAsString().Trim();
                            break;
                        case "controlURL":
                            control = reader.ReadElementContentAsString().Trim();
                            break;
                    }
                }
                if (reader.NodeType == XmlNodeType.EndElement && reader.LocalName == "service")
                {
                    if (type is not null && control is not null)
                        found.Add((type, control));
                    type = control = null;
                }
            }
        }
        catch (XmlException error)
        {
            throw new PortMappingProtocolException($"IGD description is not well-formed XML: {error.Message}");
        }
        var baseUri = urlBase is { Length: > 0 } && Uri.TryCreate(urlBase, UriKind.Absolute, out var given) && given.Scheme == Uri.UriSchemeHttp ? given : location;
        var result = new List<IgdService>();
        foreach (var wanted in MappingServiceTypes)
        {
            foreach (var (type, control) in found)
            {
                if (!type.Equals(wanted, StringComparison.OrdinalIgnoreCase))
                    continue;
                if (!Uri.TryCreate(baseUri, control, out var url) || url.Scheme != Uri.UriSchemeHttp)
                    throw new PortMappingProtocolException($"IGD service {type} has a bad controlURL '{control}'");
                // Our requests go only to the device that answered the search, never to a host its description names.
                if (!url.Host.Equals(location.Host, StringComparison.OrdinalIgnoreCase))
                    throw new PortMappingProtocolException($"IGD service {type} points at another host ({url.Host}, not {location.Host})");
                result.Add(new IgdService(type, url));
            }
        }
        return result;
    }
}
