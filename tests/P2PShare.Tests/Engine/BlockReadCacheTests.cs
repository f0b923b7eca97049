using NSubstitute;
using P2PShare.Engine;

namespace P2PShare.Tests.Engine;

public class BlockReadCacheTests
{
    private const int PieceSize = 2 * BlockReadCache.WindowLength;

    private static IPieceStore StoreOfPatternedPieces()
    {
        var store = Substitute.For<IPieceStore>();
        store.ReadAsync(Arg.Any<int>(), Arg.Any<int>(), Arg.Any<Memory<byte>>(), Arg.Any<CancellationToken>())
            .Returns(call =>
            {
                var (piece, offset, destination) = (call.ArgAt<int>(0), call.ArgAt<int>(1), call.ArgAt<Memory<byte>>(2));
                for (var i = 0; i < destination.Length; i++)
                    destination.Span[i] = (byte)(piece * 31 + offset + i);
                return ValueTask.CompletedTask;
            });
        return store;
    }

    [Test]
    public async Task The_blocks_of_a_window_cost_one_disk_read_and_carry_the_right_bytes()
    {
        var store = StoreOfPatternedPieces();
        var cache = new BlockReadCache(store, _ => PieceSize, capacityBytes: 4 * BlockReadCache.WindowLength);
        var block = new byte[16 * 1024];
        for (var offset = 0; offset < BlockReadCache.WindowLength; offset += block.Length)
        {
            await cache.ReadAsync(3, offset, block, CancellationToken.None);
            Assert.That(block[0], Is.EqualTo((byte)(3 * 31 + offset)));
            Assert.That(block[^1], Is.EqualTo((byte)(3 * 31 + offset + block.Length - 1)));
        }
        await store.Received(1).ReadAsync(3, 0, Arg.Any<Memory<byte>>(), Arg.Any<CancellationToken>());
    }

    [Test]
    public async Task The_byte_budget_is_never_exceeded()
    {
        var store = StoreOfPatternedPieces();
        var cache = new BlockReadCache(store, _ => PieceSize, capacityBytes: 3 * BlockReadCache.WindowLength);
        var block = new byte[16 * 1024];
        for (var piece = 0; piece < 10; piece++)
        {
            await cache.ReadAsync(piece, 0, block, CancellationToken.None);
            Assert.That(cache.CachedBytes, Is.LessThanOrEqualTo(3 * BlockReadCache.WindowLength));
        }
        cache.Clear();
        Assert.That(cache.CachedBytes, Is.Zero);
    }
}
