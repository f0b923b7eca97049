using System.Net;
using P2PShare.Networking.Dht;
using P2PShare.Protocol.Dht;

namespace P2PShare.Tests.Dht;

[TestFixture]
public sealed class NodeIdFactoryTests
{
    // The example ids of BEP 42 (the last byte is the random value r).
    [TestCase("124.31.75.21", "5fbfbff10c5d6a4ec8a88e4c6ab4c28b95eee401")]
    [TestCase("21.75.31.124", "5a3ce9c14e7a08645677bbd1cfe7d8f956d53256")]
    [TestCase("65.23.51.170", "a5d43220bc8f112a3d426c84764f8c2a1150e616")]
    [TestCase("84.124.73.14", "1b0321dd1bb1fe518101ceef99462b947a01ff41")]
    [TestCase("43.213.53.83", "e56f6cbf5b7c4be0237986d5243b87aa6d51305a")]
    public void Bep42ExamplesAreValid(string ip, string id)
    {
        Assert.That(NodeIdFactory.IsValid(NodeId.Parse(id), IPAddress.Parse(ip)), Is.True);
        Assert.That(NodeIdFactory.IsValid(NodeId.Parse(id), IPAddress.Parse("8.8.8.8")), Is.False);
    }

    [Test]
    public void CreatedIdsAreValidForTheirAddress()
    {
        var random = new Random(1);
        var address = IPAddress.Parse("198.51.100.20");
        for (var i = 0; i < 50; i++)
            Assert.That(NodeIdFactory.IsValid(NodeIdFactory.Create(address, random), address), Is.True);
    }

    [TestCase("127.0.0.1")]
    [TestCase("10.0.0.5")]
    [TestCase("192.168.1.1")]
    [TestCase("172.20.0.1")]
    public void LocalAddressesAreExempt(string ip) => Assert.That(NodeIdFactory.IsExempt(IPAddress.Parse(ip)), Is.True);

    [Test]
    public void PublicAddressesAreNotExempt() => Assert.That(NodeIdFactory.IsExempt(IPAddress.Parse("124.31.75.21")), Is.False);
}
