using P2PShare.Engine;
using P2PShare.Tests.Support;

namespace P2PShare.Tests.Engine;

public class WriteCombinerTests
{
    private static readonly TimeSpan Deadline = TimeSpan.FromMilliseconds(100);

    private static WriteCombiner<string> Combiner(ManualTimeProvider clock, int pieces = 256, int perWindow = 64, int maxWindows = 4) =>
        new(pieces, perWindow, maxWindows, Deadline, clock);

    private static readonly Func<int, bool> NothingStored = _ => false;

    [Test]
    public void A_window_is_handed_back_once_all_its_pieces_are_held_in_piece_order()
    {
        var combiner = Combiner(new ManualTimeProvider());
        // Out of order, as two disk workers finish them.
        var order = Enumerable.Range(0, 64).Select(i => i ^ 1).ToList();
        for (var k = 0; k < 63; k++)
            Assert.That(combiner.Add(order[k], $"p{order[k]}", NothingStored), Is.Empty, $"after {k + 1} pieces");
        var ready = combiner.Add(order[63], $"p{order[63]}", NothingStored);
        Assert.That(ready, Has.Count.EqualTo(1));
        Assert.That(ready[0].Select(p => p.Index), Is.EqualTo(Enumerable.Range(0, 64)));
        Assert.That(ready[0].Select(p => p.Item), Is.EqualTo(Enumerable.Range(0, 64).Select(i => $"p{i}")));
        Assert.That(combiner.HeldPieces, Is.Zero);
    }

    [Test]
    public void Pieces_already_stored_do_not_keep_a_window_waiting()
    {
        var combiner = Combiner(new ManualTimeProvider());
        // Pieces 64-99 of window 1 are on disk (resume, an earlier flush): the other 28 complete it.
        Func<int, bool> stored = i => i is >= 64 and < 100;
        for (var i = 100; i < 127; i++)
            Assert.That(combiner.Add(i, "x", stored), Is.Empty);
        var ready = combiner.Add(127, "x", stored);
        Assert.That(ready.Single().Select(p => p.Index), Is.EqualTo(Enumerable.Range(100, 28)));
    }

    [Test]
    public void The_last_window_of_a_torrent_is_only_as_long_as_its_pieces()
    {
        var combiner = Combiner(new ManualTimeProvider(), pieces: 70);
        for (var i = 64; i < 69; i++)
            Assert.That(combiner.Add(i, "x", NothingStored), Is.Empty);
        Assert.That(combiner.Add(69, "x", NothingStored).Single(), Has.Count.EqualTo(6));
    }

    [Test]
    public void A_window_that_waits_past_its_deadline_is_taken_and_one_that_has_not_stays()
    {
        var clock = new ManualTimeProvider();
        var combiner = Combiner(clock);
        combiner.Add(3, "a", NothingStored);
        clock.Advance(TimeSpan.FromMilliseconds(60));
        combiner.Add(70, "b", NothingStored);
        Assert.That(combiner.TakeExpired(), Is.Empty);
        clock.Advance(TimeSpan.FromMilliseconds(40));
        var expired = combiner.TakeExpired();
        Assert.That(expired.Single().Select(p => p.Index), Is.EqualTo(new[] { 3 }));
        Assert.That(combiner.OpenWindows, Is.EqualTo(1));
        clock.Advance(TimeSpan.FromMilliseconds(60));
        Assert.That(combiner.TakeExpired().Single().Select(p => p.Item), Is.EqualTo(new[] { "b" }));
    }

    [Test]
    public void Too_many_open_windows_give_back_the_oldest_so_what_is_held_stays_bounded()
    {
        var clock = new ManualTimeProvider();
        var combiner = Combiner(clock, pieces: 1024, maxWindows: 4);
        for (var w = 0; w < 4; w++)
        {
            Assert.That(combiner.Add(w * 64, $"w{w}", NothingStored), Is.Empty);
            clock.Advance(TimeSpan.FromMilliseconds(1));
        }
        var ready = combiner.Add(4 * 64, "w4", NothingStored);
        Assert.That(ready.Single().Single().Item, Is.EqualTo("w0"));
        Assert.That(combiner.OpenWindows, Is.EqualTo(4));
        // Scattered pieces, as many peers deliver them: never more than 4 windows, every piece handed back once.
        var handedBack = new List<int> { 0 };
        var random = new Random(7);
        foreach (var i in Enumerable.Range(1, 1023).Where(i => i % 64 != 0).OrderBy(_ => random.Next()))
        {
            foreach (var window in combiner.Add(i, "x", NothingStored))
                handedBack.AddRange(window.Select(p => p.Index));
            Assert.That(combiner.OpenWindows, Is.LessThanOrEqualTo(4));
        }
        handedBack.AddRange(combiner.TakeAll().SelectMany(w => w.Select(p => p.Index)));
        Assert.That(handedBack.Concat(Enumerable.Range(5, 11).Select(w => w * 64)).Order(), Is.EqualTo(Enumerable.Range(0, 1024)));
        Assert.That(combiner.HeldPieces, Is.Zero);
    }

    [Test]
    public void A_piece_held_twice_is_refused()
    {
        var combiner = Combiner(new ManualTimeProvider());
        combiner.Add(5, "a", NothingStored);
        Assert.That(() => combiner.Add(5, "b", NothingStored), Throws.InvalidOperationException);
    }
}
