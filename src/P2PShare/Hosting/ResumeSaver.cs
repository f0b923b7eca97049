using Microsoft.Extensions.Logging;
using P2PShare.Engine;
using P2PShare.Metainfo;
using P2PShare.Protocol;
using P2PShare.Storage;

namespace P2PShare.Hosting;

/// <summary>
/// Saves resume data every few seconds and on shutdown. Order matters for crash safety: take the
/// verified pieces, make the files durable, then write the resume file atomically, so the file never
/// claims a piece whose data could still be lost. The save on the way out may skip the fsync (waiting for a whole
/// download to reach the disk made exit seconds slower): it records which pieces were not synced and the boot they were
/// saved in, and a start after another boot hashes those again (<see cref="ResumeValidator"/>). Without a boot identity
/// it fsyncs like the others.
/// </summary>
/// <param name="decorate">Adds what the caller keeps beside the pieces (the file selection, the part file's pieces).</param>
internal sealed class ResumeSaver(Torrent torrent, string directory, ResumeStore store, IPieceStore storage, TorrentSession session, long[] baseline, ILogger logger, TimeProvider time,
    Func<ResumeData, ResumeData>? decorate = null)
{
    private readonly SemaphoreSlim _gate = new(1, 1);
    private int _lastSavedCount = -1;
    private long _lastSavedUpload = -1;
    // The pieces the last fsync covered: what a save without one need not mark unsynced.
    private Bitfield? _durable;
    private int _changes;

    /// <summary>
    /// The pieces on disk for sure at start (trusted from resume data saved after an fsync): an exit save before the
    /// first periodic one need not call them unsynced, which would cost a re-check after the next boot.
    /// </summary>
    public void AssumeDurable(Bitfield pieces) => _durable = pieces;

    /// <summary>
    /// Something the resume data records changed (a file selection): the next save writes even if no piece arrived.
    /// Moving pieces between the part file and the files rewrites them, so none counts as synced any more.
    /// </summary>
    public void MarkChanged()
    {
        _lastSavedCount = -1;
        Interlocked.Increment(ref _changes);
        _durable = null;
    }

    public async Task RunAsync(TimeSpan interval, CancellationToken cancellationToken)
    {
        using var timer = new PeriodicTimer(interval, time);
        try
        {
            while (await timer.WaitForNextTickAsync(cancellationToken).ConfigureAwait(false))
                await SaveAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
        }
    }

    /// <param name="sync">
    /// False for the save on the way out: record the pieces not yet on disk (and the boot) instead of waiting for them.
    /// </param>
    public async Task SaveAsync(CancellationToken cancellationToken, bool sync = true)
    {
        await _gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            var have = session.HaveSnapshot();
            var progress = session.Progress();
            if (have.CountSet == _lastSavedCount && progress.UploadedPayload == _lastSavedUpload)
                return;
            var changes = Volatile.Read(ref _changes);
            var boot = sync ? null : BootIdentity.Current;
            if (boot is null)
                await storage.FlushAsync(cancellationToken).ConfigureAwait(false);
            var peers = session.UsefulPeers().Select(p => p.ToString());
            var data = ResumeData.Capture(torrent, directory, have, peers, baseline[0] + progress.DownloadedPayload, baseline[1] + progress.UploadedPayload);
            if (boot is not null)
                data = data with { UnsyncedPieces = _durable is { } durable ? have.Except(durable) : have.Clone(), BootId = boot };
            if (decorate is not null)
                data = decorate(data);
            await store.SaveAsync(data, cancellationToken).ConfigureAwait(false);
            if (boot is null && Volatile.Read(ref _changes) == changes)
                _durable = have;
            _lastSavedCount = have.CountSet;
            _lastSavedUpload = progress.UploadedPayload;
        }
        catch (Exception error) when (error is IOException or UnauthorizedAccessException)
        {
            // Not fatal: the next save tries again, and the data itself is safe.
            logger.LogWarning("Could not save resume data: {Reason}", error.Message);
        }
        finally
        {
            _gate.Release();
        }
    }
}
