using P2PShare.Engine;

namespace P2PShare.Tests.Engine;

public class SharedReadCacheTests
{
    private static byte[] Window(int length, byte fill) => Enumerable.Repeat(fill, length).ToArray();

    [Test]
    public void Windows_of_all_torrents_share_one_budget_and_a_stopped_torrent_drops_only_its_own()
    {
        var cache = new SharedReadCache(3 * 1024);
        object a = new(), b = new();
        cache.Add(a, 0, 0, 1024, Window(1024, 1));
        cache.Add(b, 0, 0, 1024, Window(1024, 2));
        cache.Add(a, 1, 0, 1024, Window(1024, 3));
        var copy = new byte[16];
        Assert.That(cache.TryCopy(a, 0, 0, 0, copy), Is.True, "touches a's first window: now most recent");
        Assert.That(copy, Is.All.EqualTo(1));
        Assert.That(cache.TryCopy(b, 0, 0, 0, copy), Is.True);
        Assert.That(copy, Is.All.EqualTo(2), "the same piece of another torrent is another window");

        cache.Add(b, 5, 0, 1024, Window(1024, 4));
        Assert.That(cache.CachedBytes, Is.LessThanOrEqualTo(3 * 1024));
        Assert.That(cache.TryCopy(a, 1, 0, 0, copy), Is.False, "the least recently used window went");

        cache.Clear(b);
        Assert.That(cache.TryCopy(b, 0, 0, 0, copy), Is.False);
        Assert.That(cache.TryCopy(a, 0, 0, 0, copy), Is.True, "a's window stays");
        Assert.That(cache.CachedBytes, Is.EqualTo(1024));
    }
}
