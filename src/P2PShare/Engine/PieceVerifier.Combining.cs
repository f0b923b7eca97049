namespace P2PShare.Engine;

/// <summary>
/// Small pieces are written together: a verified piece of 256 KiB or less waits in a <see cref="WriteCombiner{T}"/>
/// for the rest of its 1 MiB window, and the window goes to disk in one vectored write per file. Until then the piece
/// is not ours yet (no HAVE, not served, not in the resume data) and it stays claimed, so a second copy is dropped.
/// Each held piece counts as a job in flight, so a stopping session waits for it, and its bytes stay counted in the disk
/// queue's memory budget; stopping writes what is held.
/// </summary>
internal sealed partial class PieceVerifier
{
    /// <summary>The bytes of torrent data a window covers (aligned, so the writes are too).</summary>
    internal const int CombineWindowBytes = 1 << 20;

    /// <summary>Windows open at once: at most this many MiB of verified pieces wait to be written.</summary>
    internal const int MaxCombineWindows = 4;

    /// <summary>How long a window waits for its missing pieces (a slow swarm still announces its pieces promptly).</summary>
    internal static readonly TimeSpan CombineDeadline = TimeSpan.FromMilliseconds(100);

    private WriteCombiner<PieceDownload>? _combiner;
    private IDirectPieceWriter? _direct;
    private ITimer? _combineTimer;
    private Func<int, bool>? _isStored;
    private int _combineTimerArmed;

    /// <summary>Pieces verified and waiting for the rest of their window (tests, diagnostics).</summary>
    public int PiecesAwaitingWrite => _combiner?.HeldPieces ?? 0;

    private void SetUpCombining(TimeProvider time)
    {
        if (_store is not IDirectPieceWriter direct || _torrent.PieceLength > CombineWindowBytes / 4)
            return;
        _direct = direct;
        _isStored = i => _have[i]; // Read without the lock: a stale answer only makes a window wait for its deadline.
        var perWindow = Math.Clamp(CombineWindowBytes / _torrent.PieceLength, 2, 64);
        _combiner = new WriteCombiner<PieceDownload>(_torrent.PieceCount, perWindow, MaxCombineWindows, CombineDeadline, time);
        _combineTimer = time.CreateTimer(static state => ((PieceVerifier)state!).OnCombineDeadline(), this, Timeout.InfiniteTimeSpan, Timeout.InfiniteTimeSpan);
        _lifetime.Register(static state => ((PieceVerifier)state!).OnStopping(), this);
    }

    /// <summary>
    /// Hands a verified piece to the combiner, which owns it from here; returns the windows to write now. An urgent piece
    /// (one a streaming read waits for) is a window of its own, written at once: its neighbours may be minutes away.
    /// </summary>
    private IReadOnlyList<IReadOnlyList<(int Index, PieceDownload Piece)>> Hold(PieceDownload piece, bool urgent)
    {
        BeginJob();
        // Still counted against the disk queue's budget once this job ends: the engine's memory bound holds.
        _queue.Retain(piece.Size);
        if (urgent)
            return [[(piece.Index, piece)]];
        IReadOnlyList<IReadOnlyList<(int Index, PieceDownload Piece)>> ready;
        try
        {
            ready = _combiner!.Add(piece.Index, piece, _isStored!);
        }
        catch
        {
            _queue.ReleaseRetained(piece.Size);
            EndJob();
            throw;
        }
        // Stopping already took what was held: nothing takes this piece later, so it goes now.
        if (_lifetime.IsCancellationRequested)
            ready = [.. ready, .. _combiner.TakeAll()];
        if (_combiner.OpenWindows > 0)
            ArmCombineTimer();
        return ready;
    }

    private void ArmCombineTimer()
    {
        if (Interlocked.CompareExchange(ref _combineTimerArmed, 1, 0) == 0)
            _combineTimer!.Change(CombineDeadline, Timeout.InfiniteTimeSpan);
    }

    private void OnCombineDeadline()
    {
        // Cleared before looking, so a window opened meanwhile either is seen here or arms the timer itself.
        Volatile.Write(ref _combineTimerArmed, 0);
        var expired = _combiner!.TakeExpired();
        if (_combiner.OpenWindows > 0)
            ArmCombineTimer();
        if (expired.Count > 0)
            _ = WriteWindowsAsync(expired);
    }

    private void OnStopping()
    {
        _combineTimer!.Change(Timeout.InfiniteTimeSpan, Timeout.InfiniteTimeSpan);
        var held = _combiner!.TakeAll();
        if (held.Count > 0)
            _ = WriteWindowsAsync(held);
    }

    private async Task WriteWindowsAsync(IReadOnlyList<IReadOnlyList<(int Index, PieceDownload Piece)>> windows)
    {
        await Task.Yield(); // Off the timer's or the canceller's thread.
        foreach (var window in windows)
            await WriteWindowAsync(window).ConfigureAwait(false);
    }

    /// <summary>
    /// Writes a window's pieces, each run of consecutive ones at once, then stores them; never throws. Not cancelled
    /// when the session stops: the pieces are verified, and writing at most a few MiB to the page cache is quick.
    /// </summary>
    private async ValueTask WriteWindowAsync(IReadOnlyList<(int Index, PieceDownload Piece)> window)
    {
        try
        {
            var buffers = new List<ReadOnlyMemory<byte>>(window.Count);
            for (var start = 0; start < window.Count;)
            {
                var end = start + 1;
                while (end < window.Count && window[end].Index == window[end - 1].Index + 1)
                    end++;
                buffers.Clear();
                for (var k = start; k < end; k++)
                    buffers.Add(window[k].Piece.Buffer.AsMemory(0, window[k].Piece.Size));
                bool together;
                try
                {
                    together = _direct!.TryWritePieces(window[start].Index, buffers, CancellationToken.None);
                }
                catch (Exception) when (end - start > 1)
                {
                    // A full disk stops a vectored write midway, with some of the run on disk: piece by piece below,
                    // every piece that fits is stored and the first that does not fails the download.
                    together = false;
                }
                for (var k = start; k < end; k++)
                {
                    if (!together)
                        await _store.WritePieceAsync(window[k].Index, buffers[k - start], CancellationToken.None).ConfigureAwait(false);
                    OnPieceStored(window[k].Piece);
                    _judge.FindCulpritsOfEarlierFailure(window[k].Piece);
                }
                start = end;
            }
        }
        catch (Exception error)
        {
            // Storage failed (disk full, unwritable): the download cannot go on.
            _failed.TrySetException(error);
        }
        finally
        {
            lock (_gate)
            {
                foreach (var (index, _) in window)
                    _checking.Remove(index);
            }
            foreach (var (_, piece) in window)
            {
                var size = piece.Size;
                piece.Release();
                _queue.ReleaseRetained(size);
                EndJob();
            }
        }
    }
}
