using System.Text;
using P2PShare.Protocol.PortMapping;

namespace P2PShare.Tests.Protocol.PortMapping;

/// <summary>SSDP search and answer, the IGD description (miniupnpd's layout), and SOAP envelopes and answers, with hostile input.</summary>
public class SsdpAndIgdCodecTests
{
    private static readonly Uri Location = new("http://192.168.77.1:39159/rootDesc.xml");

    [Test]
    public void Search_names_the_gateway_device_type_and_waits_at_most_mx_seconds()
    {
        var text = Encoding.ASCII.GetString(SsdpMessage.BuildSearch(maxWaitSeconds: 2));
        Assert.That(text, Does.StartWith("M-SEARCH * HTTP/1.1\r\n"));
        Assert.That(text, Does.Contain("HOST: 239.255.255.250:1900\r\n").And.Contain("MAN: \"ssdp:discover\"\r\n").And.Contain("MX: 2\r\n"));
        Assert.That(text, Does.Contain("ST: urn:schemas-upnp-org:device:InternetGatewayDevice:1\r\n").And.EndWith("\r\n\r\n"));
        Assert.Throws<ArgumentOutOfRangeException>(() => SsdpMessage.BuildSearch(maxWaitSeconds: 9));
    }

    [Test]
    public void Answer_of_miniupnpd_gives_its_location()
    {
        var answer = "HTTP/1.1 200 OK\r\nCACHE-CONTROL: max-age=120\r\nST: urn:schemas-upnp-org:device:InternetGatewayDevice:1\r\n" +
            "USN: uuid:27e69786::urn:schemas-upnp-org:device:InternetGatewayDevice:1\r\nEXT:\r\nSERVER: Debian UPnP/1.1 MiniUPnPd/2.3.1\r\n" +
            "LOCATION: http://192.168.77.1:39159/rootDesc.xml\r\n\r\n";
        var parsed = SsdpMessage.ParseResponse(Encoding.ASCII.GetBytes(answer));
        Assert.That(parsed.Location, Is.EqualTo(Location));
        Assert.That(parsed.SearchTarget, Is.EqualTo(SsdpMessage.InternetGatewayDevice));
    }

    [TestCase("NOTIFY * HTTP/1.1\r\nLOCATION: http://1.2.3.4/\r\n\r\n", "status line")]
    [TestCase("HTTP/1.1 404 Not Found\r\nLOCATION: http://1.2.3.4/\r\n\r\n", "status")]
    [TestCase("HTTP/1.1 200 OK\r\nST: x\r\n\r\n", "LOCATION")]
    [TestCase("HTTP/1.1 200 OK\r\nLOCATION: file:///etc/passwd\r\n\r\n", "LOCATION")]
    public void Bad_answers_are_rejected(string answer, string reason)
    {
        var error = Assert.Throws<PortMappingProtocolException>(() => SsdpMessage.ParseResponse(Encoding.ASCII.GetBytes(answer)));
        Assert.That(error!.Message, Does.Contain(reason));
    }

    [Test]
    public void Oversized_answers_and_header_floods_are_rejected()
    {
        Assert.Throws<PortMappingProtocolException>(() => SsdpMessage.ParseResponse(new byte[SsdpMessage.MaxResponseBytes + 1]));
        var flood = "HTTP/1.1 200 OK\r\n" + string.Concat(Enumerable.Repeat("X: y\r\n", 40)) + "LOCATION: http://1.2.3.4/\r\n\r\n";
        Assert.That(() => SsdpMessage.ParseResponse(Encoding.ASCII.GetBytes(flood)), Throws.TypeOf<PortMappingProtocolException>().With.Message.Contains("headers"));
    }

    private const string Description = """
        <?xml version="1.0"?>
        <root xmlns="urn:schemas-upnp-org:device-1-0"><specVersion><major>1</major><minor>1</minor></specVersion>
        <device><deviceType>urn:schemas-upnp-org:device:InternetGatewayDevice:1</deviceType>
          <serviceList><service><serviceType>urn:schemas-upnp-org:service:Layer3Forwarding:1</serviceType><controlURL>/ctl/L3F</controlURL></service></serviceList>
          <deviceList><device><deviceType>urn:schemas-upnp-org:device:WANDevice:1</deviceType>
            <deviceList><device><deviceType>urn:schemas-upnp-org:device:WANConnectionDevice:1</deviceType>
              <serviceList><service><serviceType>urn:schemas-upnp-org:service:WANIPConnection:1</serviceType>
                <serviceId>urn:upnp-org:serviceId:WANIPConn1</serviceId><controlURL>/ctl/IPConn</controlURL><SCPDURL>/WANIPCn.xml</SCPDURL></service></serviceList>
            </device></deviceList></device></deviceList></device></root>
        """;

    [Test]
    public void Description_yields_the_wanipconnection_control_url_resolved_against_the_location()
    {
        var services = IgdDescriptionParser.Parse(Encoding.UTF8.GetBytes(Description), Location);
        Assert.That(services, Has.Count.EqualTo(1));
        Assert.That(services[0].ServiceType, Is.EqualTo("urn:schemas-upnp-org:service:WANIPConnection:1"));
        Assert.That(services[0].ControlUrl, Is.EqualTo(new Uri("http://192.168.77.1:39159/ctl/IPConn")));
    }

    [Test]
    public void Description_pointing_at_another_host_is_refused()
    {
        var hostile = Description.Replace("/ctl/IPConn", "http://10.9.9.9/steal");
        Assert.That(() => IgdDescriptionParser.Parse(Encoding.UTF8.GetBytes(hostile), Location),
            Throws.TypeOf<PortMappingProtocolException>().With.Message.Contains("another host"));
    }

    [Test]
    public void Description_with_a_dtd_huge_size_or_broken_xml_is_refused()
    {
        var billionLaughs = "<?xml version=\"1.0\"?><!DOCTYPE r [<!ENTITY a \"aaaa\"><!ENTITY b \"&a;&a;&a;&a;\">]><root>&b;</root>";
        Assert.Throws<PortMappingProtocolException>(() => IgdDescriptionParser.Parse(Encoding.UTF8.GetBytes(billionLaughs), Location));
        Assert.Throws<PortMappingProtocolException>(() => IgdDescriptionParser.Parse(new byte[IgdDescriptionParser.MaxDescriptionBytes + 1], Location));
        Assert.Throws<PortMappingProtocolException>(() => IgdDescriptionParser.Parse(Encoding.UTF8.GetBytes("<root><service><serviceType>"), Location));
        var manyServices = "<root>" + string.Concat(Enumerable.Repeat("<service><serviceType>x</serviceType></service>", 100)) + "</root>";
        Assert.That(() => IgdDescriptionParser.Parse(Encoding.UTF8.GetBytes(manyServices), Location), Throws.TypeOf<PortMappingProtocolException>().With.Message.Contains("services"));
    }

    [Test]
    public void Add_port_mapping_envelope_carries_every_argument_escaped()
    {
        var xml = UpnpSoap.AddPortMapping("urn:schemas-upnp-org:service:WANIPConnection:1", TransportProtocol.Udp, 6881,
            System.Net.IPAddress.Parse("192.168.77.2"), 6881, "P2P<Share>", TimeSpan.FromHours(1));
        Assert.That(xml, Does.Contain("<u:AddPortMapping xmlns:u=\"urn:schemas-upnp-org:service:WANIPConnection:1\">"));
        Assert.That(xml, Does.Contain("<NewExternalPort>6881</NewExternalPort><NewProtocol>UDP</NewProtocol><NewInternalPort>6881</NewInternalPort>"));
        Assert.That(xml, Does.Contain("<NewInternalClient>192.168.77.2</NewInternalClient>").And.Contain("<NewLeaseDuration>3600</NewLeaseDuration>"));
        Assert.That(xml, Does.Contain("P2P&lt;Share&gt;"));
        Assert.That(UpnpSoap.SoapActionHeader("urn:x:1", "AddPortMapping"), Is.EqualTo("\"urn:x:1#AddPortMapping\""));
    }

    [Test]
    public void Soap_answer_gives_the_output_arguments_or_the_upnp_error()
    {
        var ok = """<?xml version="1.0"?><s:Envelope xmlns:s="http://schemas.xmlsoap.org/soap/envelope/"><s:Body><u:GetExternalIPAddressResponse xmlns:u="urn:schemas-upnp-org:service:WANIPConnection:1"><NewExternalIPAddress>11.77.0.1</NewExternalIPAddress></u:GetExternalIPAddressResponse></s:Body></s:Envelope>""";
        Assert.That(UpnpSoap.ParseResponse(Encoding.UTF8.GetBytes(ok))["NewExternalIPAddress"], Is.EqualTo("11.77.0.1"));
        var fault = """<s:Envelope xmlns:s="http://schemas.xmlsoap.org/soap/envelope/"><s:Body><s:Fault><faultcode>s:Client</faultcode><faultstring>UPnPError</faultstring><detail><UPnPError xmlns="urn:schemas-upnp-org:control-1-0"><errorCode>718</errorCode><errorDescription>ConflictInMappingEntry</errorDescription></UPnPError></detail></s:Fault></s:Body></s:Envelope>""";
        var error = Assert.Throws<UpnpSoapFault>(() => UpnpSoap.ParseResponse(Encoding.UTF8.GetBytes(fault)));
        Assert.That(error!.ErrorCode, Is.EqualTo(UpnpSoap.ConflictInMappingEntry));
        Assert.Throws<PortMappingProtocolException>(() => UpnpSoap.ParseResponse(Encoding.UTF8.GetBytes("<html>nope</html>")));
        Assert.Throws<PortMappingProtocolException>(() => UpnpSoap.ParseResponse(Encoding.UTF8.GetBytes("<<<")));
    }
}
