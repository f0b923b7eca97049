using P2PShare.Metainfo;
using P2PShare.Tests.Support;

namespace P2PShare.Tests.Metainfo;

public sealed class BoundedFileTests
{
    [Test, CancelAfter(20_000)]
    public async Task A_file_up_to_the_bound_is_read_whole_and_one_byte_more_is_refused(CancellationToken ct)
    {
        await using var temp = new TempDirectory("p2pshare-bounded-");
        var data = new byte[200_000];
        new Random(5).NextBytes(data);
        var path = temp.Combine("x.torrent");
        await File.WriteAllBytesAsync(path, data, ct);
        Assert.That(await BoundedFile.ReadAsync(path, data.Length, ct), SameBytes.As(data));
        Assert.That(await BoundedFile.ReadAsync(path, data.Length - 1, ct), Is.Null);
    }

    [Test, CancelAfter(20_000)]
    public async Task A_device_that_never_ends_is_refused_at_the_bound(CancellationToken ct)
    {
        // /dev/zero reports a length of 0, so a check of the size alone lets an endless read through.
        Assert.That(new FileInfo("/dev/zero").Length, Is.Zero);
        Assert.That(await BoundedFile.ReadAsync("/dev/zero", 1024 * 1024, ct), Is.Null);
        var error = Assert.ThrowsAsync<MetainfoException>(() => TorrentParser.LoadAsync("/dev/zero", ct));
        Assert.That(error!.Message, Does.Contain("/dev/zero: more than"));
    }

    [Test, CancelAfter(30_000)]
    public async Task A_fifo_is_refused_at_once_as_not_a_regular_file(CancellationToken ct)
    {
        await using var temp = new TempDirectory("p2pshare-bounded-fifo-");
        var fifo = temp.Combine("x.torrent");
        await Fifo.CreateAsync(fifo, ct);
        // On a pool thread: a blocking open(2) would block the caller before any Task is returned.
        var read = Task.Run(() => BoundedFile.ReadAsync(fifo, 1024, ct), ct);
        try
        {
            var error = Assert.ThrowsAsync<IOException>(async () => await read.WaitAsync(TimeSpan.FromSeconds(10), ct));
            Assert.That(error!.Message, Is.EqualTo($"{fifo}: not a regular file"));
        }
        finally
        {
            if (!read.IsCompleted)
                await Fifo.ReleaseReaderAsync(fifo);
        }
    }
}
