namespace P2PShare.Tests.Support;

/// <summary>What a <see cref="MisbehavingSeeder"/> does wrong.</summary>
public enum SeederMisbehaviour
{
    /// <summary>An honest seeder (useful as a control).</summary>
    None,

    /// <summary>Answers every request with the right length but inverted bytes.</summary>
    SendCorruptBlocks,

    /// <summary>Unchokes, accepts requests, never sends a block.</summary>
    NeverAnswer,

    /// <summary>Serves half of a piece's blocks, then closes the connection; on every connection.</summary>
    DisconnectMidPiece,

    /// <summary>On the first request, sends a piece message whose length prefix claims ~2 GiB, then streams junk.</summary>
    HugeLengthPrefix,

    /// <summary>Sends a bitfield one byte longer than the torrent's piece count allows.</summary>
    WrongSizeBitfield,

    /// <summary>Right after unchoking, sends a (correct) block that was never requested.</summary>
    UnrequestedPiece,

    /// <summary>Offers ut_metadata (BEP 9) with the right metadata_size but answers requests with random bytes (fails the info-hash); data blocks are honest.</summary>
    WrongMetadata,

    /// <summary>Offers ut_metadata with a metadata_size of 1 TiB; data blocks are honest.</summary>
    AbsurdMetadataSize,

    /// <summary>Has every piece (bitfield) but never unchokes: connected, useless.</summary>
    NeverUnchoke,

    /// <summary>
    /// Serves the real metadata (ut_metadata) and honest blocks, but follows its bitfield with a HAVE for piece
    /// int.MaxValue: sent while the client is still in a magnet's metadata phase and cannot check the index yet.
    /// </summary>
    OutOfRangeHaveBeforeMetadata,

    /// <summary>Offers ut_metadata with the right metadata_size and never answers a metadata request; data blocks are honest.</summary>
    NeverAnswerMetadata,
}
