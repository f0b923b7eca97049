using System.Net;
using P2PShare.Protocol.PortMapping;

namespace P2PShare.Tests.Protocol.PortMapping;

/// <summary>NAT-PMP (RFC 6886) and PCP (RFC 6887) packets byte by byte, with short and foreign answers.</summary>
public class NatPmpAndPcpCodecTests
{
    [Test]
    public void Nat_pmp_map_request_layout()
    {
        var tcp = NatPmpPacket.MapRequest(TransportProtocol.Tcp, 6881, 6882, TimeSpan.FromSeconds(7200));
        Assert.That(Convert.ToHexString(tcp), Is.EqualTo("000200001AE11AE200001C20"));
        var udpDelete = NatPmpPacket.MapRequest(TransportProtocol.Udp, 6881, 0, TimeSpan.Zero);
        Assert.That(Convert.ToHexString(udpDelete), Is.EqualTo("000100001AE1000000000000"));
        Assert.That(NatPmpPacket.ExternalAddressRequest(), Is.EqualTo(new byte[] { 0, 0 }));
    }

    [Test]
    public void Nat_pmp_answers_parse()
    {
        // miniupnpd's answer to an address request: 11.77.0.1, epoch 3.
        var address = NatPmpPacket.ParseExternalAddressResponse(Convert.FromHexString("00800000000000030B4D0001"));
        Assert.That(address.Result, Is.EqualTo(NatPmpResult.Success));
        Assert.That(address.ExternalAddress, Is.EqualTo(IPAddress.Parse("11.77.0.1")));
        var map = NatPmpPacket.ParseMapResponse(Convert.FromHexString("00820000000000051AE11AE200000E10"), TransportProtocol.Tcp);
        Assert.That((map.Result, map.InternalPort, map.ExternalPort, map.Lifetime), Is.EqualTo((NatPmpResult.Success, 6881, 6882, TimeSpan.FromHours(1))));
        var refused = NatPmpPacket.ParseMapResponse(Convert.FromHexString("00820002000000050000000000000000"), TransportProtocol.Tcp);
        Assert.That(refused.Result, Is.EqualTo(NatPmpResult.NotAuthorized));
    }

    [Test]
    public void Nat_pmp_answers_that_do_not_fit_are_rejected()
    {
        Assert.Throws<PortMappingProtocolException>(() => NatPmpPacket.ParseMapResponse([0, 0x82], TransportProtocol.Tcp));
        Assert.Throws<PortMappingProtocolException>(() => NatPmpPacket.ParseMapResponse(Convert.FromHexString("0081000000000005"), TransportProtocol.Tcp));
        Assert.Throws<PortMappingProtocolException>(() => NatPmpPacket.ParseMapResponse(Convert.FromHexString("00820000000000051AE1"), TransportProtocol.Tcp));
        Assert.Throws<PortMappingProtocolException>(() => NatPmpPacket.ParseExternalAddressResponse(Convert.FromHexString("0280000000000003")));
    }

    [Test]
    public void Pcp_map_request_layout_and_answer_round_trip()
    {
        var nonce = Enumerable.Range(1, 12).Select(i => (byte)i).ToArray();
        var request = PcpPacket.MapRequest(nonce, TransportProtocol.Udp, IPAddress.Parse("192.168.77.2"), 6881, 6881, TimeSpan.FromHours(1));
        Assert.That(request, Has.Length.EqualTo(60));
        Assert.That(Convert.ToHexString(request.AsSpan(0, 24)), Is.EqualTo("0201000000000E1000000000000000000000FFFFC0A84D02"));
        Assert.That(request.AsSpan(24, 12).ToArray(), Is.EqualTo(nonce));
        Assert.That(Convert.ToHexString(request.AsSpan(36, 8)), Is.EqualTo("110000001AE11AE1"));

        var answer = new byte[60];
        answer[0] = 2;
        answer[1] = 0x81;
        answer[3] = 0;
        answer[7] = 120;
        nonce.CopyTo(answer, 24);
        answer[36] = 17;
        answer[40] = 0x1A; answer[41] = 0xE1; answer[42] = 0x1A; answer[43] = 0xE2;
        IPAddress.Parse("11.77.0.1").MapToIPv6().TryWriteBytes(answer.AsSpan(44), out _);
        var parsed = PcpPacket.ParseMapResponse(answer);
        Assert.That((parsed.Result, parsed.Lifetime, parsed.Protocol, parsed.InternalPort, parsed.ExternalPort),
            Is.EqualTo((PcpResult.Success, TimeSpan.FromSeconds(120), TransportProtocol.Udp, 6881, 6882)));
        Assert.That(parsed.ExternalAddress, Is.EqualTo(IPAddress.Parse("11.77.0.1")));
        Assert.That(parsed.Nonce, Is.EqualTo(nonce));
    }

    [Test]
    public void Pcp_answer_in_nat_pmp_version_means_unsupported_and_short_answers_are_rejected()
    {
        Assert.That(PcpPacket.ParseMapResponse(Convert.FromHexString("0081000100000000")).Result, Is.EqualTo(PcpResult.UnsupportedVersion));
        Assert.Throws<PortMappingProtocolException>(() => PcpPacket.ParseMapResponse([2, 0x81, 0, 0, 0, 0, 0, 0, 0, 0]));
        Assert.Throws<PortMappingProtocolException>(() => PcpPacket.ParseMapResponse([2]));
        var shortSuccess = new byte[30];
        shortSuccess[0] = 2;
        shortSuccess[1] = 0x81;
        Assert.Throws<PortMappingProtocolException>(() => PcpPacket.ParseMapResponse(shortSuccess));
        var refusal = new byte[24];
        refusal[0] = 2;
        refusal[1] = 0x81;
        refusal[3] = (byte)PcpResult.NotAuthorized;
        Assert.That(PcpPacket.ParseMapResponse(refusal).Result, Is.EqualTo(PcpResult.NotAuthorized));
    }
}
