using System.Net;
using P2PShare.Networking.Udp;
using P2PShare.Networking.Utp;
using P2PShare.Protocol.Utp;

namespace P2PShare.Tests.Utp;

/// <summary>
/// In-order data is acknowledged once per burst (when the port reports its receive queue drained), out-of-order data
/// at once. The manager is fed hand-made packets and its sends are captured, so the count is exact.
/// </summary>
[TestFixture]
public sealed class UtpDeferredAckTests
{
    private static readonly IPEndPoint Peer = new(IPAddress.Loopback, 40001);
    private const ushort PeerReceiveId = 1000;   // the SYN's connection id; we send with it, the peer sends with +1
    private const ushort PeerFirstSequence = 500;

    [TestCase(true, 1)]
    [TestCase(false, 5)]
    public async Task A_burst_of_in_order_data_gets_one_ack_when_the_port_reports_drains(bool reportsDrains, int expectedAcks)
    {
        var sender = new CapturingSender(reportsDrains);
        await using var manager = new UtpSocketManager(sender, random: new Random(3));
        Handle(manager, UtpPacketType.Syn, PeerReceiveId, PeerFirstSequence, ack: 0);
        await using var accepted = await manager.AcceptAsync(CancellationToken.None).AsTask().WaitAsync(TimeSpan.FromSeconds(5));
        var synAnswer = sender.States().Single();
        var ourSequence = synAnswer.SequenceNumber;
        sender.Clear();

        for (var n = 1; n <= 5; n++)
            Handle(manager, UtpPacketType.Data, PeerReceiveId + 1, (ushort)(PeerFirstSequence + n), (ushort)(ourSequence - 1), payload: 100);
        manager.OnReceiveQueueDrained();

        var acks = sender.States();
        Assert.That(acks, Has.Count.EqualTo(expectedAcks));
        Assert.That(acks[^1].AckNumber, Is.EqualTo((ushort)(PeerFirstSequence + 5)), "the last ACK covers the whole burst");

        // A gap: the out-of-order packet is acknowledged (with its selective ACK) at once, burst or not.
        sender.Clear();
        Handle(manager, UtpPacketType.Data, PeerReceiveId + 1, (ushort)(PeerFirstSequence + 7), (ushort)(ourSequence - 1), payload: 100);
        Assert.That(sender.States(), Has.Count.EqualTo(1));
        Assert.That(sender.States()[0].AckNumber, Is.EqualTo((ushort)(PeerFirstSequence + 5)));

        var read = new byte[500];
        await accepted.ReadExactlyAsync(read).AsTask().WaitAsync(TimeSpan.FromSeconds(5));
    }

    private static void Handle(UtpSocketManager manager, UtpPacketType type, int connectionId, ushort sequence, ushort ack, int payload = 0)
    {
        var datagram = new byte[UtpHeader.Size + payload];
        new UtpHeader(type, (ushort)connectionId, 1, 0, 1 << 20, sequence, ack).WriteTo(datagram);
        Assert.That(manager.TryHandle(datagram, Peer), Is.True);
    }

    private sealed class CapturingSender(bool reportsDrains) : IDatagramSender
    {
        private readonly List<byte[]> _sent = [];

        public int Port => 40000;

        public bool ReportsDrains => reportsDrains;

        public ValueTask SendAsync(ReadOnlyMemory<byte> datagram, IPEndPoint to, CancellationToken cancellationToken)
        {
            lock (_sent)
                _sent.Add(datagram.ToArray());
            return ValueTask.CompletedTask;
        }

        public void Clear()
        {
            lock (_sent)
                _sent.Clear();
        }

        public List<UtpHeader> States()
        {
            lock (_sent)
                return [.. _sent.Where(d => d[0] >> 4 == (int)UtpPacketType.State).Select(ReadHeader)];
        }

        private static UtpHeader ReadHeader(byte[] datagram)
        {
            Assert.That(UtpPacket.TryParse(datagram, out var packet, out var error), Is.True, error);
            return packet.Header;
        }
    }
}
