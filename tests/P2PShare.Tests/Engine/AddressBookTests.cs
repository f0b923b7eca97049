using P2PShare.Engine;
using P2PShare.Tests.Support;

namespace P2PShare.Tests.Engine;

/// <summary>The address book both dialers use (BitTorrent and native): bounds, back-off, give-up, re-learning.</summary>
public sealed class AddressBookTests
{
    private sealed class Entry : DialState;

    [Test]
    public void The_table_is_bounded()
    {
        var book = new AddressBook<int, Entry>(maxKnown: 3, maxDialFailures: 2, new ManualTimeProvider(), new Random(1));
        for (var i = 0; i < 10; i++)
            book.Learn(i, _ => new Entry());
        Assert.That(book.Count, Is.EqualTo(3));
        Assert.That(book.Learn(99, _ => new Entry()), Is.Null);
        Assert.That(book.Learn(1, _ => new Entry()), Is.Not.Null, "a known address is still found");
    }

    [Test]
    public void A_failed_address_waits_out_its_back_off_and_is_given_up_when_told()
    {
        var time = new ManualTimeProvider();
        var book = new AddressBook<string, Entry>(10, 3, time, new Random(1));
        var entry = book.Learn("a", _ => new Entry())!;
        Assert.That(book.Due(), Is.EquivalentTo(new[] { entry }));
        book.DialStarted(entry);
        Assert.That(book.Due(), Is.Empty, "being dialled");
        book.DialFailed(entry, TimeSpan.FromSeconds(2));
        Assert.That(book.Due(), Is.Empty, "backing off");
        Assert.That(book.WaitFor(entry), Is.EqualTo(TimeSpan.FromSeconds(2)).Within(TimeSpan.FromMilliseconds(1)));
        time.Advance(TimeSpan.FromSeconds(2));
        Assert.That(book.Due(), Is.EquivalentTo(new[] { entry }));
        book.DialStarted(entry);
        book.DialFailed(entry, retryAfter: null);
        Assert.That(entry.GivenUp, Is.True);
        Assert.That(entry.DialFailures, Is.EqualTo(2));
        time.Advance(TimeSpan.FromHours(1));
        Assert.That(book.Due(), Is.Empty, "given up");
    }

    [Test]
    public void A_given_up_address_named_again_is_retried_after_a_back_off_until_the_failure_bound()
    {
        var time = new ManualTimeProvider();
        var book = new AddressBook<string, Entry>(10, maxDialFailures: 2, time, new Random(1));
        var entry = book.Learn("a", _ => new Entry())!;
        book.DialStarted(entry);
        book.DialFailed(entry, retryAfter: null);
        book.Learn("a", _ => new Entry());
        Assert.That(entry.GivenUp, Is.False, "named again after one failure: retried");
        Assert.That(book.Due(), Is.Empty, "but not at once");
        time.Advance(TimeSpan.FromSeconds(4));
        Assert.That(book.Due(), Is.EquivalentTo(new[] { entry }), "1 s × 2 × jitter (at most 1.5) has passed");
        book.DialStarted(entry);
        book.DialFailed(entry, retryAfter: null);
        book.Learn("a", _ => new Entry());
        Assert.That(entry.GivenUp, Is.True, "two failures: the bound");
    }

    [Test]
    public void Back_off_doubles_with_jitter_and_stops_at_the_cap()
    {
        var random = new Random(3);
        for (var step = 0; step < 8; step++)
        {
            var delay = AddressBook<int, Entry>.Backoff(step, TimeSpan.FromMilliseconds(500), TimeSpan.FromSeconds(30), random);
            var nominal = 0.5 * Math.Pow(2, step);
            Assert.That(delay.TotalSeconds, Is.InRange(Math.Min(30, nominal * 0.5), Math.Min(30, nominal * 1.5)), $"step {step}");
        }
        Assert.That(AddressBook<int, Entry>.Backoff(60, TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(30), random), Is.EqualTo(TimeSpan.FromSeconds(30)));
    }
}
