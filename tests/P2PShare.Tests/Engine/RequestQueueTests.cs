using P2PShare.Engine;

namespace P2PShare.Tests.Engine;

public class RequestQueueTests
{
    private static BlockRequest Request(int piece, int block) => new(piece, block, piece * 1000L + block);

    [Test]
    public void Blocks_taken_from_the_head_in_request_order_leave_the_rest_in_order_across_the_wrap()
    {
        var queue = new RequestQueue();
        var next = 0;
        // Keep 12 outstanding while 100 arrive in order: the head wraps round the 16-slot buffer many times.
        for (; next < 12; next++)
            queue.Add(Request(next / 4, next % 4));
        for (var received = 0; received < 100; received++)
        {
            var position = queue.IndexOf(received / 4, received % 4);
            Assert.That(position, Is.Zero, $"block {received}");
            queue.RemoveAt(position);
            queue.Add(Request(next / 4, next % 4));
            next++;
        }
        Assert.That(queue.Select(r => r.Piece * 4 + r.Block), Is.EqualTo(Enumerable.Range(100, 12)));
    }

    [Test]
    public void Random_adds_and_removals_match_a_list_in_every_member()
    {
        var random = new Random(7);
        var queue = new RequestQueue();
        var model = new List<BlockRequest>();
        for (var step = 0; step < 20_000; step++)
        {
            var roll = random.Next(10);
            if (roll < 5 || model.Count == 0)
            {
                var request = Request(random.Next(50), random.Next(16));
                queue.Add(request);
                model.Add(request);
            }
            else if (roll < 9)
            {
                // Mostly near the head, as peers answer; sometimes anywhere (cancels, rejects, timeouts).
                var position = roll < 7 ? random.Next(Math.Min(3, model.Count)) : random.Next(model.Count);
                queue.RemoveAt(position);
                model.RemoveAt(position);
            }
            else if (random.Next(20) == 0)
            {
                queue.Clear();
                model.Clear();
            }
            Assert.That(queue, Has.Count.EqualTo(model.Count), $"step {step}");
            var (piece, block) = (random.Next(50), random.Next(16));
            Assert.That(queue.IndexOf(piece, block), Is.EqualTo(model.FindIndex(r => r.Piece == piece && r.Block == block)), $"step {step}");
            if (step % 97 == 0)
                Assert.That(queue.ToList(), Is.EqualTo(model), $"step {step}");
        }
        Assert.That(queue.ToList(), Is.EqualTo(model));
        for (var i = 0; i < model.Count; i++)
            Assert.That(queue[i], Is.EqualTo(model[i]));
    }

    [Test]
    public void A_position_outside_the_queue_is_refused()
    {
        var queue = new RequestQueue();
        queue.Add(Request(1, 2));
        Assert.Multiple(() =>
        {
            Assert.Throws<ArgumentOutOfRangeException>(() => _ = queue[1]);
            Assert.Throws<ArgumentOutOfRangeException>(() => queue.RemoveAt(-1));
            Assert.Throws<ArgumentOutOfRangeException>(() => queue.RemoveAt(1));
            Assert.That(queue.IndexOf(1, 3), Is.EqualTo(-1));
            Assert.That(queue.Contains(1, 2), Is.True);
        });
    }
}
