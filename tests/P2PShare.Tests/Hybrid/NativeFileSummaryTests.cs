using System.Security.Cryptography;
using P2PShare.Engine;
using P2PShare.Engine.Native;
using P2PShare.Metainfo;

namespace P2PShare.Tests.Hybrid;

/// <summary>The whole-file SHA-1 and per-native-piece hashes that native peers are offered, read back through the piece store.</summary>
public sealed class NativeFileSummaryTests
{
    [TestCase(32 * 1024)]
    [TestCase(256 * 1024)]
    public async Task Hashes_match_the_file_whatever_the_torrent_piece_size(int pieceLength)
    {
        var data = new byte[5 * 65536 + 1234];
        new Random(3).NextBytes(data);
        var directory = Directory.CreateTempSubdirectory("p2pshare-summary-");
        try
        {
            var path = Path.Combine(directory.FullName, "f.bin");
            await File.WriteAllBytesAsync(path, data);
            var options = new TorrentCreationOptions { PieceLength = pieceLength };
            var torrentBytes = await TorrentCreator.CreateAsync(TorrentCreator.Plan(path, options), options, null, CancellationToken.None);
            var torrent = TorrentParser.Parse(torrentBytes);
            await using var store = new MemoryStore(data, pieceLength);
            var summary = await NativeFileSummary.ComputeAsync(torrent, store, 65536, CancellationToken.None);
            Assert.That(summary.FileHash, Is.EqualTo(Convert.ToHexStringLower(SHA1.HashData(data))));
            Assert.That(summary.PieceHashes, Has.Count.EqualTo(6));
            for (var i = 0; i < 6; i++)
            {
                var piece = data.AsSpan(i * 65536, Math.Min(65536, data.Length - i * 65536));
                Assert.That(summary.PieceHashes[i], Is.EqualTo(Convert.ToHexStringLower(SHA1.HashData(piece))), $"native piece {i}");
            }
        }
        finally
        {
            directory.Delete(recursive: true);
        }
    }

    private sealed class MemoryStore(byte[] data, int pieceLength) : IPieceStore
    {
        public ValueTask WritePieceAsync(int pieceIndex, ReadOnlyMemory<byte> bytes, CancellationToken cancellationToken) => throw new NotSupportedException();

        public ValueTask ReadAsync(int pieceIndex, int offset, Memory<byte> destination, CancellationToken cancellationToken)
        {
            data.AsMemory((int)((long)pieceIndex * pieceLength + offset), destination.Length).CopyTo(destination);
            return ValueTask.CompletedTask;
        }

        public ValueTask FlushAsync(CancellationToken cancellationToken) => ValueTask.CompletedTask;

        public ValueTask DisposeAsync() => ValueTask.CompletedTask;
    }
}
