using System.Security.Cryptography;
using P2PShare.Bencode;
using P2PShare.Metainfo;
using P2PShare.Protocol;
using P2PShare.Storage;

namespace P2PShare.Fuzz.Targets;

/// <summary>
/// The <c>resume</c> target: a torrent's resume file as a restart reads it (<see cref="ResumeCodec.Decode"/>), then the
/// start-up decision over real files (<see cref="ResumeValidator.Decide"/>) of a fixed multi-file torrent (<see cref="StateFileFixture"/>:
/// a complete file, a missing one, a short one, an empty one, a BEP 47 pad file). Nothing may escape (the decoder's result
/// says what is wrong), and the decision must never trust a piece the file did not record as verified, never trust
/// anything from a file that is not intact, and never both trust and check a piece.
/// <code>
/// 'd' ...      the whole input is the resume file
/// other byte   the rest is the payload, wrapped as the writer wraps it (version, payload, its SHA-1) so that mutations reach
///              the payload reader past the checksum
/// </code>
/// </summary>
internal static class ResumeFuzz
{
    public static void Run(byte[] input)
    {
        var fixture = StateFileFixture.Shared;
        var bytes = input.Length > 0 && input[0] != (byte)'d' ? Wrap(input.AsSpan(1)) : input;
        var loaded = ResumeCodec.Decode(bytes, fixture.Torrent.InfoHash);
        if ((loaded.Status == ResumeLoadStatus.Loaded) != (loaded.Data is not null))
            throw new InvalidOperationException($"invariant: status {loaded.Status} with data {loaded.Data is not null}");
        var decision = ResumeValidator.Decide(fixture.Torrent, fixture.DataDirectory, loaded);
        var pieces = fixture.Torrent.PieceCount;
        if (decision.Trusted.Length != pieces || decision.ToCheck.Length != pieces)
            throw new InvalidOperationException("invariant: the decision's bitfields are not one bit per piece");
        foreach (var piece in decision.Trusted.SetIndices())
        {
            if (loaded.Data is null || !loaded.Data.VerifiedPieces[piece])
                throw new InvalidOperationException($"invariant: piece {piece} trusted though the resume file does not record it as verified ({loaded.Reason})");
            if (decision.ToCheck[piece])
                throw new InvalidOperationException($"invariant: piece {piece} both trusted and to be checked");
        }
        if (loaded.Status != ResumeLoadStatus.Loaded && decision.Reasons.Count == 0)
            throw new InvalidOperationException("invariant: unusable resume data gave no reason");
        if (loaded.Data is { } data)
        {
            // What the run takes from it besides the pieces: peers, totals, the file selection and the part file's pieces.
            foreach (var peer in data.Peers)
                System.Net.IPEndPoint.TryParse(peer, out _);
            if (data.FilePriorities is { } levels && levels.Count == fixture.Torrent.Files.Count)
                P2PShare.Engine.Picking.FilePriorities.Validate([.. levels.Select(level => (P2PShare.Engine.Picking.FilePriority)level)], fixture.Torrent.Files.Count);
        }
    }

    /// <summary>A payload inside the outer dictionary the writer makes (format version, payload, SHA-1 of the payload).</summary>
    public static byte[] Wrap(ReadOnlySpan<byte> payload) => BencodeEncoder.Encode(new BDictionary
    {
        ["version"] = new BInteger(ResumeData.CurrentFormatVersion),
        ["payload"] = new BString(payload.ToArray()),
        ["checksum"] = new BString(SHA1.HashData(payload)),
    });
}
