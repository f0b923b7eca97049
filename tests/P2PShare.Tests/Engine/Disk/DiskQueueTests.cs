using P2PShare.Engine.Disk;

namespace P2PShare.Tests.Engine.Disk;

public class DiskQueueTests
{
    private const int Piece = 64 * 1024;
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(10);

    /// <summary>A disk whose writes finish only when the test lets them: each write waits for its own release.</summary>
    private sealed class GatedDisk
    {
        private readonly SemaphoreSlim _releases = new(0);
        private readonly Lock _lock = new();

        public List<int> Written { get; } = [];

        public int Started;

        public DiskJob Job(int id, int bytes = Piece, CancellationToken cancellationToken = default) => new(bytes, async token =>
        {
            Interlocked.Increment(ref Started);
            await _releases.WaitAsync(token);
            lock (_lock)
                Written.Add(id);
        }, cancellationToken);

        public void Release(int count = 1) => _releases.Release(count);
    }

    [Test, CancelAfter(30_000)]
    public async Task With_a_slow_disk_memory_stays_within_the_budget_and_the_network_waits()
    {
        const int pieces = 60;
        await using var queue = new DiskQueue(new DiskQueueOptions { MemoryBudgetBytes = 4 * Piece + Piece / 2, Workers = 2 });
        var written = 0;
        // The slow disk: a write takes a few milliseconds, far slower than the producer below.
        DiskJob Job() => new(Piece, async token =>
        {
            await Task.Delay(3, token);
            Interlocked.Increment(ref written);
        });

        var networkWaits = 0;
        for (var i = 0; i < pieces; i++)
        {
            // The receive loop: ask for room before reading the next piece off the socket.
            var room = queue.WaitForRoomAsync();
            if (!room.IsCompleted)
                networkWaits++;
            await room;
            var enqueue = queue.EnqueueAsync(Job());
            await enqueue;
        }
        await Eventually(() => Volatile.Read(ref written) == pieces && queue.BytesHeld == 0);

        Assert.That(queue.HighWaterBytes, Is.LessThanOrEqualTo(queue.Options.MemoryBudgetBytes + Piece));
        Assert.That(queue.HighWaterBytes, Is.GreaterThanOrEqualTo(4L * Piece), "the budget was used");
        Assert.That(networkWaits, Is.GreaterThan(pieces / 2), "the network waited for the disk");
    }

    [Test, CancelAfter(30_000)]
    public async Task Over_budget_both_the_producer_and_the_receive_loop_wait_until_a_job_finishes()
    {
        var disk = new GatedDisk();
        await using var queue = new DiskQueue(new DiskQueueOptions { MemoryBudgetBytes = 2 * Piece, Workers = 1 });
        await queue.EnqueueAsync(disk.Job(0));
        await queue.EnqueueAsync(disk.Job(1));
        Assert.That(queue.BytesHeld, Is.EqualTo(2 * Piece));

        var third = queue.EnqueueAsync(disk.Job(2)).AsTask();
        var room = queue.WaitForRoomAsync().AsTask();
        Assert.That(third.IsCompleted, Is.False);
        Assert.That(room.IsCompleted, Is.False);
        Assert.That(queue.WaitingProducers, Is.EqualTo(1));

        disk.Release();
        await third.WaitAsync(Bound);
        Assert.That(queue.BytesHeld, Is.EqualTo(2 * Piece), "the third job took the freed room");
        Assert.That(room.IsCompleted, Is.False, "still full: the network keeps waiting");

        disk.Release();
        await room.WaitAsync(Bound);
        disk.Release();
        await Eventually(() => disk.Written.Count == 3);
        Assert.That(queue.HighWaterBytes, Is.EqualTo(2 * Piece));
    }

    [Test, CancelAfter(30_000)]
    public async Task Bytes_retained_after_their_job_count_against_the_budget_until_released()
    {
        await using var queue = new DiskQueue(new DiskQueueOptions { MemoryBudgetBytes = 2 * Piece, Workers = 1 });
        queue.Retain(Piece);
        queue.Retain(Piece);
        Assert.That(queue.BytesHeld, Is.EqualTo(2 * Piece));

        var disk = new GatedDisk();
        var admitted = queue.EnqueueAsync(disk.Job(1)).AsTask();
        Assert.That(admitted.IsCompleted, Is.False, "the retained bytes fill the budget");
        queue.ReleaseRetained(Piece);
        await admitted.WaitAsync(Bound);
        disk.Release();
        queue.ReleaseRetained(Piece);
        await Eventually(() => queue.BytesHeld == 0);
        Assert.That(queue.HighWaterBytes, Is.EqualTo(2 * Piece));
    }

    [Test, CancelAfter(30_000)]
    public async Task With_one_worker_jobs_run_in_the_order_they_were_queued_and_each_completes()
    {
        await using var queue = new DiskQueue(new DiskQueueOptions { MemoryBudgetBytes = 3 * Piece, Workers = 1 });
        var order = new List<int>();
        var jobs = new List<DiskJob>();
        for (var i = 0; i < 30; i++)
        {
            var id = i;
            var job = new DiskJob(Piece, async _ =>
            {
                await Task.Yield();
                lock (order)
                    order.Add(id);
            });
            jobs.Add(job);
            await queue.EnqueueAsync(job);
        }
        await Task.WhenAll(jobs.Select(j => j.Completion)).WaitAsync(Bound);
        Assert.That(order, Is.EqualTo(Enumerable.Range(0, 30)));
        Assert.That(queue.BytesHeld, Is.Zero);
    }

    [Test, CancelAfter(30_000)]
    public async Task Waiting_producers_are_admitted_first_come_first_served_even_when_a_later_one_would_fit()
    {
        var disk = new GatedDisk();
        await using var queue = new DiskQueue(new DiskQueueOptions { MemoryBudgetBytes = 2 * Piece, Workers = 1 });
        await queue.EnqueueAsync(disk.Job(0, bytes: 2 * Piece));
        var big = queue.EnqueueAsync(disk.Job(1, bytes: 2 * Piece)).AsTask();
        var small = queue.EnqueueAsync(disk.Job(2, bytes: 1)).AsTask();
        Assert.That(small.IsCompleted, Is.False, "a small job does not overtake a waiting big one");
        disk.Release();
        await big.WaitAsync(Bound);
        Assert.That(small.IsCompleted, Is.False);
        disk.Release(2);
        await small.WaitAsync(Bound);
        await Eventually(() => disk.Written.Count == 3);
        Assert.That(disk.Written, Is.EqualTo(new[] { 0, 1, 2 }));
    }

    [Test, CancelAfter(30_000)]
    public async Task A_job_larger_than_the_whole_budget_is_admitted_alone()
    {
        var disk = new GatedDisk();
        await using var queue = new DiskQueue(new DiskQueueOptions { MemoryBudgetBytes = Piece, Workers = 2 });
        await queue.EnqueueAsync(disk.Job(0, bytes: 3 * Piece)).AsTask().WaitAsync(Bound);
        var next = queue.EnqueueAsync(disk.Job(1, bytes: 1)).AsTask();
        Assert.That(next.IsCompleted, Is.False);
        disk.Release(2);
        await next.WaitAsync(Bound);
        Assert.That(queue.HighWaterBytes, Is.EqualTo(3 * Piece));
    }

    [Test, CancelAfter(30_000)]
    public async Task A_cancelled_producer_is_not_queued_and_the_one_behind_it_moves_up()
    {
        var disk = new GatedDisk();
        await using var queue = new DiskQueue(new DiskQueueOptions { MemoryBudgetBytes = Piece, Workers = 1 });
        await queue.EnqueueAsync(disk.Job(0));
        using var cancel = new CancellationTokenSource();
        var cancelled = queue.EnqueueAsync(disk.Job(1), cancel.Token).AsTask();
        var behind = queue.EnqueueAsync(disk.Job(2)).AsTask();
        using var roomCancel = new CancellationTokenSource();
        var room = queue.WaitForRoomAsync(roomCancel.Token).AsTask();

        await cancel.CancelAsync();
        Assert.That(async () => await cancelled.WaitAsync(Bound), Throws.InstanceOf<OperationCanceledException>());
        await roomCancel.CancelAsync();
        Assert.That(async () => await room.WaitAsync(Bound), Throws.InstanceOf<OperationCanceledException>());
        Assert.That(queue.WaitingProducers, Is.EqualTo(1));

        disk.Release(3);
        await behind.WaitAsync(Bound);
        await Eventually(() => disk.Written.Count == 2 && queue.BytesHeld == 0);
        Assert.That(disk.Written, Is.EqualTo(new[] { 0, 2 }), "the cancelled job never ran");
        Assert.That(queue.WaitForRoomAsync().IsCompleted, Is.True);
    }

    [Test, CancelAfter(30_000)]
    public async Task A_job_of_a_stopped_owner_runs_with_a_cancelled_token_so_it_can_release_its_memory()
    {
        var disk = new GatedDisk();
        await using var queue = new DiskQueue(new DiskQueueOptions { MemoryBudgetBytes = 4 * Piece, Workers = 1 });
        using var owner = new CancellationTokenSource();
        await queue.EnqueueAsync(disk.Job(0));
        var sawCancelled = false;
        var job = new DiskJob(Piece, token =>
        {
            sawCancelled = token.IsCancellationRequested;
            token.ThrowIfCancellationRequested();
            return ValueTask.CompletedTask;
        }, owner.Token);
        await queue.EnqueueAsync(job);
        await owner.CancelAsync();
        disk.Release();

        Assert.That(async () => await job.Completion.WaitAsync(Bound), Throws.InstanceOf<OperationCanceledException>());
        Assert.That(sawCancelled, Is.True);
        Assert.That(job.Completion.IsCanceled, Is.True);
    }

    [Test, CancelAfter(30_000)]
    public async Task A_failing_job_faults_its_completion_releases_its_bytes_and_the_queue_goes_on()
    {
        await using var queue = new DiskQueue(new DiskQueueOptions { MemoryBudgetBytes = Piece, Workers = 1 });
        var failing = new DiskJob(Piece, _ => throw new IOException("disk full"));
        var after = new DiskJob(Piece, _ => ValueTask.CompletedTask);
        await queue.EnqueueAsync(failing);
        await queue.EnqueueAsync(after).AsTask().WaitAsync(Bound);

        var error = Assert.ThrowsAsync<IOException>(async () => await failing.Completion.WaitAsync(Bound));
        Assert.That(error!.Message, Is.EqualTo("disk full"));
        await after.Completion.WaitAsync(Bound);
        Assert.That(queue.BytesHeld, Is.Zero);
    }

    [Test, CancelAfter(30_000)]
    public async Task Disposal_fails_the_waiters_and_runs_admitted_jobs_with_a_cancelled_token()
    {
        var disk = new GatedDisk();
        var queue = new DiskQueue(new DiskQueueOptions { MemoryBudgetBytes = Piece, Workers = 1 });
        await queue.EnqueueAsync(disk.Job(0));
        var waiting = queue.EnqueueAsync(disk.Job(1)).AsTask();
        var room = queue.WaitForRoomAsync().AsTask();

        await queue.DisposeAsync().AsTask().WaitAsync(Bound);

        Assert.That(async () => await waiting, Throws.InstanceOf<ObjectDisposedException>());
        Assert.That(async () => await room, Throws.InstanceOf<ObjectDisposedException>());
        Assert.That(disk.Written, Is.Empty, "the admitted job was cancelled, not left hanging");
        Assert.Throws<ObjectDisposedException>(() => queue.EnqueueAsync(disk.Job(2)));
    }

    [Test]
    public void Invalid_options_are_refused()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => new DiskQueueOptions { MemoryBudgetBytes = 0 }.Validate());
        Assert.Throws<ArgumentOutOfRangeException>(() => new DiskQueueOptions { Workers = 0 }.Validate());
    }

    private static Task Eventually(Func<bool> condition) =>
        Support.Eventually.UntilAsync(() => Task.FromResult(condition()), Bound, "the disk queue to catch up", pollInterval: TimeSpan.FromMilliseconds(5));
}
