using System.Net;
using P2PShare.Networking.Dht;
using P2PShare.Protocol.Dht;
using P2PShare.Tests.Support;

namespace P2PShare.Tests.Dht;

/// <summary>Tokens, the announced-peer store and the query rate limiter, with a manual clock.</summary>
[TestFixture]
public sealed class DhtStoresTests
{
    private readonly ManualTimeProvider _clock = new();
    private static readonly IPAddress Alice = IPAddress.Parse("192.0.2.1");
    private static readonly IPAddress Bob = IPAddress.Parse("192.0.2.2");

    [Test]
    public void TokensAreBoundToTheAddressAndLastBetweenFiveAndTenMinutes()
    {
        var tokens = new TokenManager(TimeSpan.FromMinutes(5), _clock, new Random(1));
        var token = tokens.Create(Alice);
        Assert.That(tokens.IsValid(token, Alice), Is.True);
        Assert.That(tokens.IsValid(token, Bob), Is.False, "bound to the IP it was given to");
        Assert.That(tokens.IsValid([.. token, 0], Alice), Is.False);

        _clock.Advance(TimeSpan.FromMinutes(6));
        Assert.That(tokens.IsValid(token, Alice), Is.True, "previous secret still accepted after one rotation");
        _clock.Advance(TimeSpan.FromMinutes(5));
        Assert.That(tokens.IsValid(token, Alice), Is.False, "two rotations later it has expired");
    }

    [Test]
    public void TokensExpireEvenWhenNothingAskedInBetween()
    {
        var tokens = new TokenManager(TimeSpan.FromMinutes(5), _clock, new Random(1));
        var token = tokens.Create(Alice);
        _clock.Advance(TimeSpan.FromMinutes(10));
        Assert.That(tokens.IsValid(token, Alice), Is.False);
    }

    [Test]
    public void PeerStoreBoundsInfoHashesAndPeersAndExpires()
    {
        var store = new PeerStore(maxInfoHashes: 3, maxPeersPerInfoHash: 4, TimeSpan.FromMinutes(30), _clock);
        var random = new Random(2);
        var hashes = Enumerable.Range(0, 5).Select(_ => NodeId.Random(random)).ToList();
        for (var h = 0; h < hashes.Count; h++)
        {
            for (var p = 0; p < 10; p++)
            {
                store.Add(hashes[h], new IPEndPoint(Alice, 1000 + p));
                _clock.Advance(TimeSpan.FromMilliseconds(1));
            }
            _clock.Advance(TimeSpan.FromSeconds(1));
        }
        Assert.That(store.InfoHashCount, Is.EqualTo(3));
        Assert.That(store.PeerCount, Is.EqualTo(12));
        Assert.That(store.Get(hashes[0], 50, random), Is.Empty, "the least recently announced hash was evicted");
        Assert.That(store.Get(hashes[4], 50, random).Select(p => p.Port), Is.EquivalentTo(new[] { 1006, 1007, 1008, 1009 }), "newest peers kept");
        Assert.That(store.Get(hashes[4], 2, random), Has.Count.EqualTo(2));

        _clock.Advance(TimeSpan.FromMinutes(31));
        Assert.That(store.Get(hashes[4], 50, random), Is.Empty, "expired peers are not returned");
        store.Expire();
        Assert.That((store.InfoHashCount, store.PeerCount), Is.EqualTo((0, 0)));
    }

    [Test]
    public void RateLimiterDropsAFloodFromOneSourceButNotOthers()
    {
        var limiter = new QueryRateLimiter(perSourceRate: 10, perSourceBurst: 20, maxSources: 100, globalRate: 1000, _clock);
        var accepted = Enumerable.Range(0, 1000).Count(_ => limiter.TryAcquire(Alice));
        Assert.That(accepted, Is.EqualTo(20), "the burst, then nothing");
        Assert.That(limiter.TryAcquire(Bob), Is.True);
        _clock.Advance(TimeSpan.FromSeconds(1));
        Assert.That(Enumerable.Range(0, 1000).Count(_ => limiter.TryAcquire(Alice)), Is.EqualTo(10), "one second refills 10");
    }

    [Test]
    public void RateLimiterTableIsBoundedAndGlobalBudgetHolds()
    {
        var limiter = new QueryRateLimiter(perSourceRate: 10, perSourceBurst: 20, maxSources: 50, globalRate: 100, _clock);
        var accepted = 0;
        for (var i = 0; i < 10_000; i++)
            if (limiter.TryAcquire(new IPAddress(BitConverter.GetBytes(0x0a000000 + i))))
                accepted++;
        Assert.That(limiter.TrackedSources, Is.LessThanOrEqualTo(50));
        Assert.That(accepted, Is.LessThanOrEqualTo(100), "global budget");
    }
}
