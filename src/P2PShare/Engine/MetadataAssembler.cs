using System.Security.Cryptography;
using P2PShare.Metainfo;
using P2PShare.Protocol.Extensions;

namespace P2PShare.Engine;

/// <summary>What became of a ut_metadata data piece offered to a <see cref="MetadataAssembler{TPeer}"/>.</summary>
internal enum MetadataPieceOutcome
{
    Stored,
    /// <summary>Already have it (a late answer to a request that timed out and went elsewhere).</summary>
    Duplicate,
    /// <summary>Never asked of this peer: a peer pushing pieces it was not asked for.</summary>
    NotRequested,
    /// <summary>The piece's size or the total size does not match.</summary>
    WrongSize,
}

/// <summary>
/// Assembles a torrent's info dictionary from 16 KiB ut_metadata pieces (BEP 9) of one announced size:
/// hands out missing pieces to peers, takes a request back when it times out or is rejected, and checks the
/// whole against the info-hash, naming the peers that contributed when it does not match. Pure: no I/O,
/// time from the given <see cref="TimeProvider"/>; the caller serializes access.
/// </summary>
internal sealed class MetadataAssembler<TPeer> where TPeer : class
{
    private readonly TimeProvider _time;
    private readonly TimeSpan _requestTimeout;
    private readonly byte[] _buffer;
    private readonly bool[] _received;
    private readonly TPeer?[] _sender;
    private readonly TPeer?[] _requestedFrom;
    private readonly long[] _requestedAt;
    private readonly HashSet<TPeer>[] _asked;

    /// <summary>Refuses sizes outside 1..<see cref="ExtensionHandshake.MaxMetadataSize"/> before allocating anything.</summary>
    public MetadataAssembler(long totalSize, TimeProvider time, TimeSpan requestTimeout)
    {
        if (totalSize is <= 0 or > ExtensionHandshake.MaxMetadataSize)
            throw new ArgumentOutOfRangeException(nameof(totalSize), totalSize, $"metadata size must be from 1 to {ExtensionHandshake.MaxMetadataSize} bytes");
        _time = time;
        _requestTimeout = requestTimeout;
        TotalSize = (int)totalSize;
        PieceCount = MetadataMessage.PieceCount(totalSize);
        _buffer = new byte[TotalSize];
        _received = new bool[PieceCount];
        _sender = new TPeer?[PieceCount];
        _requestedFrom = new TPeer?[PieceCount];
        _requestedAt = new long[PieceCount];
        _asked = new HashSet<TPeer>[PieceCount];
        for (var i = 0; i < PieceCount; i++)
            _asked[i] = new HashSet<TPeer>(ReferenceEqualityComparer.Instance);
    }

    public int TotalSize { get; }

    public int PieceCount { get; }

    public int ReceivedCount { get; private set; }

    public bool IsComplete => ReceivedCount == PieceCount;

    /// <summary>Pieces requested from <paramref name="peer"/> and not answered yet.</summary>
    public int OutstandingFor(TPeer peer) => _requestedFrom.Count(p => ReferenceEquals(p, peer));

    public bool HasOutstanding => _requestedFrom.Any(p => p is not null);

    /// <summary>Picks a missing piece nobody is being asked for and records that <paramref name="peer"/> is asked; false when none is left.</summary>
    public bool TryAssign(TPeer peer, out int piece)
    {
        for (piece = 0; piece < PieceCount; piece++)
        {
            if (_received[piece] || _requestedFrom[piece] is not null)
                continue;
            _requestedFrom[piece] = peer;
            _requestedAt[piece] = _time.GetTimestamp();
            _asked[piece].Add(peer);
            return true;
        }
        piece = -1;
        return false;
    }

    public MetadataPieceOutcome Accept(TPeer peer, int piece, long totalSize, ReadOnlySpan<byte> data)
    {
        if ((uint)piece >= (uint)PieceCount || !_asked[piece].Contains(peer))
            return MetadataPieceOutcome.NotRequested;
        if (totalSize != TotalSize || data.Length != MetadataMessage.PieceSize(TotalSize, piece))
            return MetadataPieceOutcome.WrongSize;
        if (_received[piece])
            return MetadataPieceOutcome.Duplicate;
        data.CopyTo(_buffer.AsSpan(piece * MetadataMessage.PieceLength));
        _received[piece] = true;
        _sender[piece] = peer;
        _requestedFrom[piece] = null;
        ReceivedCount++;
        return MetadataPieceOutcome.Stored;
    }

    /// <summary>The peer rejected the piece or went away: someone else may be asked.</summary>
    public void Release(TPeer peer, int piece)
    {
        if ((uint)piece < (uint)PieceCount && ReferenceEquals(_requestedFrom[piece], peer))
            _requestedFrom[piece] = null;
    }

    public void ReleaseAll(TPeer peer)
    {
        for (var i = 0; i < PieceCount; i++)
            Release(peer, i);
    }

    /// <summary>Takes back requests unanswered for longer than the timeout; returns who failed to answer (one entry per piece).</summary>
    public List<TPeer> ExpireRequests()
    {
        var now = _time.GetTimestamp();
        var late = new List<TPeer>();
        for (var i = 0; i < PieceCount; i++)
        {
            if (_requestedFrom[i] is { } peer && _time.GetElapsedTime(_requestedAt[i], now) >= _requestTimeout)
            {
                late.Add(peer);
                _requestedFrom[i] = null;
            }
        }
        return late;
    }

    /// <summary>
    /// Once complete: the metadata when its SHA-1 is <paramref name="infoHash"/>. Otherwise every piece is
    /// dropped (to be fetched again) and <paramref name="contributors"/> names the peers whose pieces were in it.
    /// </summary>
    /// <param name="infoHashV2">A v2 magnet's SHA-256 info-hash: metadata whose SHA-256 it is also verifies (a v2-only
    /// magnet has no SHA-1 to match).</param>
    public bool TryVerify(InfoHash infoHash, out byte[] metadata, out IReadOnlyCollection<TPeer> contributors, Metainfo.InfoHashV2? infoHashV2 = null)
    {
        if (!IsComplete)
            throw new InvalidOperationException($"metadata has {ReceivedCount} of {PieceCount} pieces");
        contributors = _sender.OfType<TPeer>().Distinct(ReferenceEqualityComparer.Instance).Cast<TPeer>().ToList();
        if (SHA1.HashData(_buffer).AsSpan().SequenceEqual(infoHash.Span)
            || (infoHashV2 is not null && SHA256.HashData(_buffer).AsSpan().SequenceEqual(infoHashV2.Span)))
        {
            metadata = _buffer;
            return true;
        }
        metadata = [];
        Array.Clear(_received);
        Array.Clear(_sender);
        Array.Clear(_requestedFrom);
        foreach (var asked in _asked)
            asked.Clear();
        ReceivedCount = 0;
        return false;
    }
}
