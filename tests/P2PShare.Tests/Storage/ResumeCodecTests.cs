using System.Security.Cryptography;
using P2PShare.Bencode;
using P2PShare.Metainfo;
using P2PShare.Protocol;
using P2PShare.Storage;

namespace P2PShare.Tests.Storage;

public sealed class ResumeCodecTests
{
    [TestCase(false)]
    [TestCase(true)]
    public void The_streamed_encoding_is_byte_for_byte_the_canonical_encoding_of_the_resume_tree(bool withSelection)
    {
        var pieces = new Bitfield(21);
        pieces[0] = pieces[7] = pieces[20] = true;
        var parts = new Bitfield(21);
        parts[7] = true;
        var files = new List<ResumeFileState>
        {
            new("a", 3000, 638_700_000_000_000_000),
            new("dir/ünïcødé 名前.bin", 0, -1),
            new("b/c", long.MaxValue, 0),
        };
        var data = new ResumeData(new InfoHash(SHA1.HashData("x"u8)), pieces, files, ["127.0.0.1:6881", "[::1]:51413"], 123_456_789_012, 42,
            withSelection ? [0, 1, 3] : null, withSelection ? parts : null,
            withSelection ? parts : null, withSelection ? "6f1c0c4e-1d2b-4f5a-9b8e-0a1b2c3d4e5f" : null);

        var encoded = ResumeCodec.Encode(data);

        Assert.That(encoded, Is.EqualTo(TreeEncoding(data)));
        var loaded = ResumeCodec.Decode(encoded, data.InfoHash);
        Assert.That(loaded.Status, Is.EqualTo(ResumeLoadStatus.Loaded), loaded.Reason);
        Assert.That(loaded.Data!.Files, Is.EqualTo(files));
        Assert.That(loaded.Data.BootId, Is.EqualTo(data.BootId));
        Assert.That(loaded.Data.UnsyncedPieces?.SetIndices(), Is.EqualTo(data.UnsyncedPieces?.SetIndices()));
    }

    [Test]
    public void Unsynced_pieces_without_the_boot_they_were_saved_in_are_damaged_resume_data()
    {
        var pieces = new Bitfield(8);
        pieces[1] = true;
        var data = new ResumeData(new InfoHash(SHA1.HashData("y"u8)), pieces, [], [], 0, 0, UnsyncedPieces: pieces);

        var loaded = ResumeCodec.Decode(ResumeCodec.Encode(data), data.InfoHash);

        Assert.That(loaded.Status, Is.EqualTo(ResumeLoadStatus.Damaged));
        Assert.That(loaded.Reason, Does.Contain("unsynced pieces without a boot id"));
    }

    /// <summary>The resume file as a bencode tree (how it was written before it was streamed), canonically encoded.</summary>
    private static byte[] TreeEncoding(ResumeData data)
    {
        var files = new BList();
        foreach (var file in data.Files)
            files.Add(new BDictionary { ["path"] = new BString(file.Path), ["length"] = new BInteger(file.Length), ["mtime"] = new BInteger(file.LastWriteTicksUtc) });
        var payload = new BDictionary
        {
            ["version"] = new BInteger(ResumeData.CurrentFormatVersion),
            ["info-hash"] = new BString(data.InfoHash.Memory),
            ["piece-count"] = new BInteger(data.VerifiedPieces.Length),
            ["pieces"] = new BString(data.VerifiedPieces.Bytes.ToArray()),
            ["files"] = files,
            ["peers"] = new BList(data.Peers.Select(p => (BValue)new BString(p))),
            ["downloaded"] = new BInteger(data.BytesDownloaded),
            ["uploaded"] = new BInteger(data.BytesUploaded),
        };
        if (data.FilePriorities is { } priorities)
            payload["file-priority"] = new BList(priorities.Select(p => (BValue)new BInteger(p)));
        if (data.PartPieces is { } parts)
            payload["part-pieces"] = new BString(parts.Bytes.ToArray());
        if (data.UnsyncedPieces is { } unsynced)
            payload["unsynced"] = new BString(unsynced.Bytes.ToArray());
        if (data.BootId is { } boot)
            payload["boot-id"] = new BString(boot);
        var payloadBytes = BencodeEncoder.Encode(payload);
        return BencodeEncoder.Encode(new BDictionary
        {
            ["version"] = new BInteger(ResumeData.CurrentFormatVersion),
            ["payload"] = new BString(payloadBytes),
            ["checksum"] = new BString(SHA1.HashData(payloadBytes)),
        });
    }
}
