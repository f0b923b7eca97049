using System.Net;
using System.Net.Sockets;
using Microsoft.Extensions.Logging.Abstractions;
using P2PShare.Engine;
using P2PShare.Engine.Diagnosis;
using P2PShare.Metainfo;
using P2PShare.Protocol.Wire;
using P2PShare.Tests.Support;

namespace P2PShare.Tests.Engine.Diagnosis;

/// <summary>The dialer keeps why each address's last dial failed, on real loopback sockets, for the diagnosis.</summary>
[CancelAfter(20_000)]
public sealed class DialFailureRecordingTests
{
    private static readonly InfoHash Hash = new(new byte[20]);

    private static (PeerDialer Dialer, object Gate, List<Task> Dials) Dialer()
    {
        var time = new ManualTimeProvider();
        var gate = new object();
        var dials = new List<Task>();
        var options = new EngineOptions { DialRetries = 0, ConnectTimeout = TimeSpan.FromSeconds(5) };
        var dialer = new PeerDialer(gate, new Handshake(0, Hash, PeerId.CreateOurs(new Random(1))), options, new PeerBans(time, TimeSpan.FromHours(1)),
            time, new Random(7), NullLogger.Instance, dials.Add, (connection, known) => { _ = connection.DisposeAsync(); });
        return (dialer, gate, dials);
    }

    [Test]
    public async Task A_closed_port_is_recorded_as_refused_and_a_peer_closing_our_plain_handshake_as_an_encryption_mismatch()
    {
        var (dialer, gate, dials) = Dialer();
        var closed = new IPEndPoint(IPAddress.Loopback, FreePort.Get());
        // A listener that takes the connection and closes it without a byte: what a peer requiring encryption does.
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var closer = Task.Run(async () =>
        {
            using var socket = await listener.AcceptSocketAsync();
            socket.Close();
        });
        var closing = (IPEndPoint)listener.LocalEndpoint;
        lock (gate)
        {
            dialer.Add([closed], PeerSource.Tracker);
            dialer.Add([closing], PeerSource.Given);
            dialer.DialMore(0, 0, CancellationToken.None);
        }
        await Task.WhenAll(dials).WaitAsync(TimeSpan.FromSeconds(15));
        await closer.WaitAsync(TimeSpan.FromSeconds(5));

        IReadOnlyList<DialFailureFact> examples;
        IReadOnlyDictionary<DialFailureKind, int> byKind;
        lock (gate)
            (examples, byKind) = dialer.DialFailureFacts();
        Assert.That(byKind, Is.EquivalentTo(new Dictionary<DialFailureKind, int> { [DialFailureKind.Refused] = 1, [DialFailureKind.EncryptionMismatch] = 1 }));
        var refused = examples.Single(e => e.Kind == DialFailureKind.Refused);
        Assert.That(refused.Address, Is.EqualTo(closed.ToString()));
        Assert.That(refused.Source, Is.EqualTo(PeerSource.Tracker));
        Assert.That(refused.Failures, Is.EqualTo(1));
        Assert.That(examples.Single(e => e.Kind == DialFailureKind.EncryptionMismatch).Message, Does.Contain("may require encryption"));
    }
}
