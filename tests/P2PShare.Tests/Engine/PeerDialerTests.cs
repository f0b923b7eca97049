using System.Net;
using System.Net.Sockets;
using Microsoft.Extensions.Logging.Abstractions;
using P2PShare.Engine;
using P2PShare.Metainfo;
using P2PShare.Networking.Peers;
using P2PShare.Protocol.Wire;
using P2PShare.Tests.Support;

namespace P2PShare.Tests.Engine;

public class PeerDialerTests
{
    private static readonly InfoHash Hash = new(new byte[20]);
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(10);

    /// <summary>A dialer whose dials are recorded, and whose connections are collected.</summary>
    private sealed class Harness : IAsyncDisposable
    {
        private readonly CancellationTokenSource _stop = new();

        public Harness(EngineOptions options, TimeProvider? time = null)
        {
            Time = time ?? new ManualTimeProvider();
            Bans = new PeerBans(Time, TimeSpan.FromHours(1));
            Dialer = new PeerDialer(Gate, new Handshake(0, Hash, PeerId.CreateOurs(new Random(1))), options, Bans, Time, new Random(7),
                NullLogger.Instance, Dials.Add, (connection, known) =>
                {
                    lock (Gate)
                        Connected.Add((connection, known));
                });
        }

        public object Gate { get; } = new();

        public TimeProvider Time { get; }

        public PeerBans Bans { get; }

        public PeerDialer Dialer { get; }

        public List<Task> Dials { get; } = [];

        public List<(PeerConnection Connection, KnownPeer Known)> Connected { get; } = [];

        public CancellationToken Token => _stop.Token;

        public void DialMore()
        {
            lock (Gate)
                Dialer.DialMore(0, Time.GetTimestamp(), Token);
        }

        public bool HasUntried()
        {
            lock (Gate)
                return Dialer.HasUntried;
        }

        public async ValueTask DisposeAsync()
        {
            await _stop.CancelAsync();
            await Task.WhenAll(Dials).WaitAsync(Bound).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
            foreach (var (connection, _) in Connected)
                await connection.DisposeAsync();
        }
    }

    /// <summary>Addresses nothing listens on: a dial to one is refused at once.</summary>
    private static IPEndPoint ClosedPort() => new(IPAddress.Loopback, FreePort.Get());

    [Test]
    public void Redial_delay_doubles_with_each_redial_and_is_jittered_around_it()
    {
        var random = new Random(3);
        for (var redials = 1; redials <= 5; redials++)
        {
            var nominal = Math.Pow(2, redials);
            var delays = Enumerable.Range(0, 1000).Select(_ => PeerDialer.RedialDelay(redials, random).TotalSeconds).ToList();
            Assert.That(delays, Has.All.InRange(nominal * 0.5, nominal * 1.5));
            // Jitter spreads redials out: the draws cover most of the band, not one value.
            Assert.That(delays.Max() - delays.Min(), Is.GreaterThan(nominal * 0.8));
        }
    }

    [Test]
    public void A_useful_peer_that_drops_is_redialled_after_a_back_off_until_its_redials_run_out()
    {
        var time = new ManualTimeProvider();
        var dialer = new PeerDialer(new object(), new Handshake(0, Hash, PeerId.CreateOurs(new Random(1))), new EngineOptions { MaxRedials = 2 },
            new PeerBans(time, TimeSpan.FromHours(1)), time, new Random(5), NullLogger.Instance, _ => { }, (_, _) => { });
        var known = new KnownPeer(new IPEndPoint(IPAddress.Loopback, 6881)) { WasUseful = true, IsConnected = true };

        for (var redial = 1; redial <= 2; redial++)
        {
            var now = time.GetTimestamp();
            dialer.OnDisconnected(known, stopping: false);
            Assert.That(known.IsConnected, Is.False);
            Assert.That(known.GivenUp, Is.False, $"redial {redial}");
            Assert.That(known.Redials, Is.EqualTo(redial));
            var wait = TimeSpan.FromSeconds((double)(known.NotBeforeTicks - now) / time.TimestampFrequency);
            Assert.That(wait.TotalSeconds, Is.InRange(Math.Pow(2, redial) * 0.5, Math.Pow(2, redial) * 1.5));
            known.IsConnected = true;
        }

        dialer.OnDisconnected(known, stopping: false);
        Assert.That(known.GivenUp, Is.True, "redials used up");
    }

    [Test]
    public void A_peer_that_was_never_useful_or_drops_while_stopping_is_given_up()
    {
        var time = new ManualTimeProvider();
        var dialer = new PeerDialer(new object(), new Handshake(0, Hash, PeerId.CreateOurs(new Random(1))), new EngineOptions(),
            new PeerBans(time, TimeSpan.FromHours(1)), time, new Random(5), NullLogger.Instance, _ => { }, (_, _) => { });
        var useless = new KnownPeer(new IPEndPoint(IPAddress.Loopback, 6881)) { IsConnected = true };
        var stopping = new KnownPeer(new IPEndPoint(IPAddress.Loopback, 6882)) { IsConnected = true, WasUseful = true };

        dialer.OnDisconnected(useless, stopping: false);
        dialer.OnDisconnected(stopping, stopping: true);

        Assert.That(useless.GivenUp, Is.True);
        Assert.That(stopping.GivenUp, Is.True);
        Assert.That(stopping.Redials, Is.Zero);
    }

    [Test, CancelAfter(20_000)]
    public async Task Dials_stay_within_the_half_open_limit()
    {
        await using var harness = new Harness(new EngineOptions { MaxHalfOpen = 2 });
        lock (harness.Gate)
            harness.Dialer.Add([ClosedPort(), ClosedPort(), ClosedPort(), ClosedPort()]);

        // Refused dials wait on the (manual) clock before retrying, so they stay half-open.
        harness.DialMore();
        harness.DialMore();
        Assert.That(harness.Dials, Has.Count.EqualTo(2));
        Assert.That(harness.HasUntried(), Is.True);
    }

    [Test, CancelAfter(20_000)]
    public async Task Banned_invalid_and_repeated_addresses_are_not_dialled()
    {
        await using var harness = new Harness(new EngineOptions { MaxHalfOpen = 10 });
        var banned = ClosedPort();
        var twice = ClosedPort();
        lock (harness.Gate)
        {
            harness.Bans.Ban(banned, PeerId.CreateOurs(new Random(9)));
            harness.Dialer.Add([new IPEndPoint(IPAddress.Loopback, 0), banned, twice, twice, ClosedPort()]);
            harness.Dialer.Add([twice]);
        }

        harness.DialMore();
        Assert.That(harness.Dials, Has.Count.EqualTo(2));
    }

    [Test, CancelAfter(20_000)]
    public async Task A_refused_dial_is_retried_on_the_clock_then_the_address_is_given_up_and_its_slot_freed()
    {
        var time = new ManualTimeProvider();
        await using var harness = new Harness(new EngineOptions { MaxHalfOpen = 1, DialRetries = 2 }, time);
        var first = ClosedPort();
        lock (harness.Gate)
            harness.Dialer.Add([first, ClosedPort()], PeerSource.Tracker);

        harness.DialMore();
        Assert.That(harness.Dials, Has.Count.EqualTo(1));
        var dial = harness.Dials[0];
        // A refused dial waits for its retry on a timer of the clock, keeping its half-open slot.
        await Eventually.UntilAsync(() => time.ActiveTimers > 0, Bound, "a retry to wait on the clock");
        Assert.That(dial.IsCompleted, Is.False);
        harness.DialMore();
        Assert.That(harness.Dials, Has.Count.EqualTo(1), "the slot is still taken");

        // Retries may follow each other within one move of the clock (a refusal can be synchronous), so only the end is checked.
        await Eventually.UntilAsync(() =>
        {
            if (time.ActiveTimers > 0)
                time.Advance(TimeSpan.FromMinutes(1));
            return dial.IsCompleted;
        }, Bound, "the dial to give up", pollInterval: TimeSpan.FromMilliseconds(20));
        await dial;

        harness.DialMore();
        Assert.That(harness.Dials, Has.Count.EqualTo(2), "the half-open slot is free again");
        Assert.That(harness.HasUntried(), Is.False);
        Assert.That(harness.Connected, Is.Empty);

        // Learning a given-up address again (say, from the next announce) revives it, but only after a back-off.
        lock (harness.Gate)
            harness.Dialer.Add([first], PeerSource.Tracker);
        Assert.That(harness.HasUntried(), Is.True, "named again: worth another try");
        var second = harness.Dials[1];
        await Eventually.UntilAsync(() =>
        {
            if (time.ActiveTimers > 0)
                time.Advance(TimeSpan.FromMinutes(1));
            return second.IsCompleted;
        }, Bound, "the second address's dial to give up (freeing the one half-open slot)", pollInterval: TimeSpan.FromMilliseconds(20));
        harness.DialMore();
        Assert.That(harness.Dials, Has.Count.EqualTo(3), "its back-off passed while the clock moved on: dialled again");
    }

    [Test, CancelAfter(20_000)]
    public async Task An_address_named_again_after_too_many_failed_dials_stays_given_up()
    {
        var time = new ManualTimeProvider();
        await using var harness = new Harness(new EngineOptions { DialRetries = 0 }, time);
        var address = ClosedPort();
        for (var round = 0; round < PeerDialer.MaxDialFailures + 2; round++)
        {
            lock (harness.Gate)
                harness.Dialer.Add([address], PeerSource.Tracker);
            var before = harness.Dials.Count;
            harness.DialMore();
            if (harness.Dials.Count > before)
            {
                await harness.Dials[^1];
                // Named again right after failing: it waits for its back-off.
                lock (harness.Gate)
                    harness.Dialer.Add([address], PeerSource.Tracker);
                var count = harness.Dials.Count;
                harness.DialMore();
                Assert.That(harness.Dials, Has.Count.EqualTo(count), $"round {round}: no dial within the back-off");
            }
            time.Advance(TimeSpan.FromHours(1));
        }
        Assert.That(harness.Dials, Has.Count.EqualTo(PeerDialer.MaxDialFailures), "retried a bounded number of times");
        Assert.That(harness.HasUntried(), Is.False);
    }

    [Test, CancelAfter(20_000)]
    public async Task A_given_address_that_refuses_is_dialled_again_after_a_doubling_back_off_a_bounded_number_of_times()
    {
        // No tracker names a --peer address again, so a peer still starting when first dialled would be lost for good.
        var time = new ManualTimeProvider();
        await using var harness = new Harness(new EngineOptions { DialRetries = 0 }, time);
        lock (harness.Gate)
            harness.Dialer.Add([ClosedPort()], PeerSource.Given);
        var step = TimeSpan.FromMilliseconds(50);
        var waits = new List<double>();
        var sinceFailure = TimeSpan.Zero;
        for (var ticks = 0; ticks < 20_000 && harness.HasUntried(); ticks++)
        {
            var before = harness.Dials.Count;
            harness.DialMore();
            if (harness.Dials.Count > before)
            {
                if (before > 0)
                    waits.Add(sinceFailure.TotalSeconds);
                await harness.Dials[^1].WaitAsync(Bound);
                sinceFailure = TimeSpan.Zero;
                continue;
            }
            time.Advance(step);
            sinceFailure += step;
        }
        TestContext.Out.WriteLine($"waits between dials (s): {string.Join(", ", waits)}");
        Assert.That(harness.HasUntried(), Is.False, "given up in the end");
        Assert.That(harness.Dials, Has.Count.EqualTo(PeerDialer.MaxDialFailures), "dialled until its failures ran out");
        for (var i = 0; i < waits.Count; i++)
            Assert.That(waits[i], Is.InRange(0.5 * Math.Pow(2, i) - 0.06, Math.Min(60, 1.5 * Math.Pow(2, i)) + 0.06), $"wait {i + 1}");
    }

    [Test, CancelAfter(20_000)]
    public async Task With_no_retries_a_refused_dial_gives_up_at_once()
    {
        // Polly rejects a retry strategy of zero attempts; "no retries" must still be a valid setting.
        await using var harness = new Harness(new EngineOptions { DialRetries = 0 });
        lock (harness.Gate)
            harness.Dialer.Add([ClosedPort()], PeerSource.Dht);

        harness.DialMore();
        Assert.That(harness.Dials, Has.Count.EqualTo(1));
        await harness.Dials[0].WaitAsync(Bound);
        Assert.That(harness.HasUntried(), Is.False);
    }

    [Test, CancelAfter(20_000)]
    public async Task A_successful_dial_hands_over_the_connection_and_a_dropped_useful_peer_waits_out_its_back_off()
    {
        var time = new ManualTimeProvider();
        await using var harness = new Harness(new EngineOptions { MaxHalfOpen = 1 }, time);
        var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var accepted = new List<PeerConnection>();
        try
        {
            var endPoint = (IPEndPoint)listener.LocalEndpoint;
            var theirs = new Handshake(0, Hash, PeerId.CreateOurs(new Random(2)));
            lock (harness.Gate)
                harness.Dialer.Add([endPoint]);

            var accept = AcceptOneAsync(listener, theirs, harness.Token);
            harness.DialMore();
            accepted.Add(await accept.WaitAsync(Bound));
            await harness.Dials[0].WaitAsync(Bound);

            Assert.That(harness.Connected, Has.Count.EqualTo(1));
            var (connection, known) = harness.Connected[0];
            Assert.That(known.EndPoint, Is.EqualTo(endPoint));
            Assert.That(connection.Remote.PeerId, Is.EqualTo(theirs.PeerId));
            Assert.That(known.IsConnecting, Is.False);
            Assert.That(known.GivenUp, Is.False);

            lock (harness.Gate)
            {
                var session = new PeerSession(connection, pieceCount: 1, time);
                session.AddKnownAddress(known);
                Assert.That(known.IsConnected, Is.True);
                harness.Dialer.MarkUseful(session);
                Assert.That(harness.Dialer.UsefulPeers(), Is.EqualTo(new[] { endPoint }));
                harness.Dialer.OnDisconnected(known, stopping: false);
            }
            harness.DialMore();
            Assert.That(harness.Dials, Has.Count.EqualTo(1), "not before the back-off has passed");

            // First redial: at most 2 s × 1.5.
            time.Advance(TimeSpan.FromSeconds(3));
            accept = AcceptOneAsync(listener, theirs, harness.Token);
            harness.DialMore();
            Assert.That(harness.Dials, Has.Count.EqualTo(2));
            accepted.Add(await accept.WaitAsync(Bound));
            await harness.Dials[1].WaitAsync(Bound);
            Assert.That(harness.Connected, Has.Count.EqualTo(2));
        }
        finally
        {
            listener.Stop();
            foreach (var connection in accepted)
                await connection.DisposeAsync();
        }
    }

    private static async Task<PeerConnection> AcceptOneAsync(TcpListener listener, Handshake theirs, CancellationToken cancellationToken)
    {
        var socket = await listener.AcceptSocketAsync(cancellationToken);
        return await PeerConnection.AcceptAsync(socket, h => h.Equals(Hash) ? theirs : null, Bound, cancellationToken);
    }
}
