using Microsoft.Extensions.Logging;
using P2PShare.Engine;
using P2PShare.Metainfo;
using P2PShare.Storage;

namespace P2PShare.Hosting;

/// <summary>
/// Saves resume data every few seconds and on shutdown. Order matters for crash safety: take the
/// verified pieces, make the files durable, then write the resume file atomically, so the file never
/// claims a piece whose data could still be lost.
/// </summary>
/// <param name="decorate">Adds what the caller keeps beside the pieces (the file selection, the part file's pieces).</param>
internal sealed class ResumeSaver(Torrent torrent, string directory, ResumeStore store, IPieceStore storage, TorrentSession session, long[] baseline, ILogger logger, TimeProvider time,
    Func<ResumeData, ResumeData>? decorate = null)
{
    private readonly SemaphoreSlim _gate = new(1, 1);
    private int _lastSavedCount = -1;
    private long _lastSavedUpload = -1;

    /// <summary>Something the resume data records changed (a file selection): the next save writes even if no piece arrived.</summary>
    public void MarkChanged() => _lastSavedCount = -1;

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

    public async Task SaveAsync(CancellationToken cancellationToken)
    {
        await _gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            var have = session.HaveSnapshot();
            var progress = session.Progress();
            if (have.CountSet == _lastSavedCount && progress.UploadedPayload == _lastSavedUpload)
                return;
            await storage.FlushAsync(cancellationToken).ConfigureAwait(false);
            var peers = session.UsefulPeers().Select(p => p.ToString());
            var data = ResumeData.Capture(torrent, directory, have, peers, baseline[0] + progress.DownloadedPayload, baseline[1] + progress.UploadedPayload);
            if (decorate is not null)
                data = decorate(data);
            await store.SaveAsync(data, cancellationToken).ConfigureAwait(false);
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
