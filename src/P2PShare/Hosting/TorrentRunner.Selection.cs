using P2PShare.Engine;
using P2PShare.Engine.Picking;
using P2PShare.Metainfo;
using P2PShare.Protocol;
using P2PShare.Storage;

namespace P2PShare.Hosting;

/// <summary>File selection of a run: which files to download at start (options, an earlier change, or the resume
/// data), and changes while it runs (storage first, so bytes land in the right place, then the session).</summary>
internal sealed partial class TorrentRunner
{
    private readonly SemaphoreSlim _selectionGate = new(1, 1);
    private volatile TorrentStorage? _storage;
    private volatile ResumeSaver? _saver;
    private ResumeData? _startupResume;
    private Bitfield? _startupNotDurable;
    private IReadOnlyList<FilePriority>? _pendingPriorities;

    /// <summary>The storage of the data phase (to read verified pieces, e.g. to stream them); null before it.</summary>
    public IPieceStore? Storage => _storage;

    /// <summary>The part file of this torrent in the state directory: bytes of skipped files in pieces shared with wanted ones.</summary>
    public static string PartFilePath(string stateDirectory, InfoHash infoHash) => Path.Combine(stateDirectory, infoHash.Hex + ".parts");

    /// <summary>Where a magnet's fetched metadata is saved (and found by later runs).</summary>
    public static string SavedMetadataPath(string stateDirectory, InfoHash infoHash) => MetadataPhase.SavedTorrentPath(stateDirectory, infoHash);

    /// <summary>
    /// Changes the file priorities (one per <see cref="Torrent.Files"/> entry) while running, or for the start of the data
    /// phase when it has not begun (a magnet still fetching metadata). Newly wanted files get the bytes already downloaded
    /// with their neighbours moved in from the part file, without downloading them again. Thread-safe; calls are serialized.
    /// </summary>
    public async Task SetFilePrioritiesAsync(IReadOnlyList<FilePriority> priorities, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(priorities);
        await _selectionGate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            if (_torrent is { } torrent)
                FilePriorities.Validate(priorities, torrent.Files.Count);
            var session = _session;
            var storage = _storage;
            if (session is null || storage is null || _torrent is null)
            {
                _pendingPriorities = [.. priorities];
                return;
            }
            var state = options.StateDirectory ?? ResumeStore.ForDownloadDirectory(options.DataDirectory).StateDirectory;
            await storage.ApplySelectionAsync(Wanted(priorities), PartFilePath(state, _torrent.InfoHash), session.HaveSnapshot(), null, cancellationToken)
                .ConfigureAwait(false);
            session.SetFilePriorities(priorities);
            _saver?.MarkChanged();
        }
        finally
        {
            _selectionGate.Release();
        }
    }

    /// <summary>Decides the start selection and gives it (and the part file's pieces from the resume data) to storage.</summary>
    private async Task<IReadOnlyList<FilePriority>?> ApplyStartSelectionAsync(Torrent torrent, TorrentStorage storage, ResumeStore resumeStore, Bitfield have,
        CancellationToken cancellationToken)
    {
        IReadOnlyList<FilePriority>? priorities;
        await _selectionGate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            IReadOnlyList<FilePriority>? saved = _startupResume?.FilePriorities is { } levels && levels.Count == torrent.Files.Count
                ? [.. levels.Select(b => (FilePriority)b)]
                : null;
            priorities = _pendingPriorities ?? options.FilePriorities ?? options.SelectFiles?.Invoke(torrent) ?? saved;
            if (priorities is not null)
                FilePriorities.Validate(priorities, torrent.Files.Count);
            var partFile = PartFilePath(resumeStore.StateDirectory, torrent.InfoHash);
            // First the placement the resume data describes (the selection it was saved with), then the new one:
            // bytes of files selected since are moved out of the part file.
            bool[] all = [.. Enumerable.Repeat(true, torrent.Files.Count)];
            await storage.ApplySelectionAsync(saved is null ? all : Wanted(saved), partFile, have, _startupResume?.PartPieces, cancellationToken).ConfigureAwait(false);
            await storage.ApplySelectionAsync(priorities is null ? all : Wanted(priorities), partFile, have, null, cancellationToken).ConfigureAwait(false);
            _storage = storage;
        }
        finally
        {
            _selectionGate.Release();
        }
        if (priorities is not null)
        {
            var skipped = priorities.Count(p => p == FilePriority.Skip);
            if (skipped > 0)
                observer.Message($"{torrent.Files.Count(f => !f.IsPadding) - skipped} of {torrent.Files.Count(f => !f.IsPadding)} files selected");
        }
        return priorities;
    }

    private static ResumeData WithSelection(ResumeData data, TorrentSession session, TorrentStorage storage)
    {
        var parts = storage.PartPieces();
        return data with
        {
            FilePriorities = session.FilePriorities?.Select(p => (byte)p).ToList(),
            PartPieces = parts.IsEmpty ? null : parts,
        };
    }

    private static bool[] Wanted(IReadOnlyList<FilePriority> priorities) => [.. priorities.Select(p => p != FilePriority.Skip)];
}
