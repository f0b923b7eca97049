namespace P2PShare.Storage;

internal enum ResumeLoadStatus
{
    Loaded,

    /// <summary>No resume file: a first start.</summary>
    Missing,

    /// <summary>Unreadable, truncated, garbled, or its checksum does not match.</summary>
    Damaged,

    /// <summary>Written by another format version.</summary>
    WrongVersion,

    /// <summary>Intact, but for another torrent.</summary>
    ForeignTorrent,
}
