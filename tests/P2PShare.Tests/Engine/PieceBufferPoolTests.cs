using P2PShare.Engine;

namespace P2PShare.Tests.Engine;

public class PieceBufferPoolTests
{
    private const int Piece = 4 * 1024 * 1024;

    [Test, CancelAfter(10_000)]
    public async Task A_buffer_returned_on_another_thread_is_rented_again_anywhere()
    {
        var pool = new PieceBufferPool(4L * Piece);
        // Rented on a receive loop, returned by a disk worker, rented again by a third thread: one buffer, not three.
        var first = await OnNewThread(() => pool.Rent(Piece));
        await OnNewThread(() => { pool.Return(first); return first; });
        var again = await OnNewThread(() => pool.Rent(Piece));
        Assert.That(again, Is.SameAs(first));
        Assert.That(pool.RetainedBytes, Is.Zero);
    }

    [Test]
    public void A_download_cycle_with_a_bounded_number_of_buffers_in_use_allocates_no_more_than_that()
    {
        var pool = new PieceBufferPool(8L * Piece);
        var seen = new HashSet<byte[]>(ReferenceEqualityComparer.Instance);
        var inUse = new Queue<byte[]>();
        for (var piece = 0; piece < 500; piece++)
        {
            if (inUse.Count == 6)
                pool.Return(inUse.Dequeue());
            var buffer = pool.Rent(Piece);
            seen.Add(buffer);
            inUse.Enqueue(buffer);
        }
        TestContext.Out.WriteLine($"500 pieces, at most 6 buffers in use: {seen.Count} buffers allocated");
        Assert.That(seen, Has.Count.EqualTo(6));
    }

    [Test]
    public void Buffers_beyond_the_byte_limit_are_left_to_the_GC()
    {
        var pool = new PieceBufferPool(2L * Piece);
        var buffers = Enumerable.Range(0, 5).Select(_ => pool.Rent(Piece)).ToList();
        foreach (var buffer in buffers)
            pool.Return(buffer);
        Assert.That(pool.RetainedBytes, Is.EqualTo(2L * Piece));
        var reused = Enumerable.Range(0, 3).Select(_ => pool.Rent(Piece)).ToList();
        Assert.That(reused.Count(b => buffers.Contains(b)), Is.EqualTo(2), "two kept, the third rent allocates");
        Assert.That(pool.RetainedBytes, Is.Zero);
    }

    [Test]
    public void The_short_last_piece_uses_a_full_size_buffer_and_odd_sizes_are_not_kept()
    {
        var pool = new PieceBufferPool(4L * Piece);
        var full = pool.Rent(Piece);
        pool.Return(full);
        var last = pool.Rent(Piece - 12_345);
        Assert.That(last, Is.SameAs(full));
        Assert.That(pool.Rent(1), Has.Length.EqualTo(16 * 1024), "16 KiB is the smallest size kept");
        Assert.That(pool.Rent(0), Is.Empty);

        pool.Return(new byte[Piece - 1]);
        pool.Return(new byte[1024]);
        Assert.That(pool.RetainedBytes, Is.Zero, "only power-of-two sizes from 16 KiB come back");
        Assert.Throws<ArgumentOutOfRangeException>(() => pool.Rent(-1));
    }

    private static Task<byte[]> OnNewThread(Func<byte[]> work)
    {
        var done = new TaskCompletionSource<byte[]>(TaskCreationOptions.RunContinuationsAsynchronously);
        var thread = new Thread(() =>
        {
            try
            {
                done.SetResult(work());
            }
            catch (Exception error)
            {
                done.SetException(error);
            }
        });
        thread.Start();
        return done.Task;
    }
}
