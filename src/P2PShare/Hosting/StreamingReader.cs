using P2PShare.Engine;
using P2PShare.Metainfo;

namespace P2PShare.Hosting;

/// <summary>
/// Reads one file of a running torrent while it downloads, for streaming: a read waits until the pieces under it are
/// verified, and each reader keeps deadlines on the pieces just ahead of its position (time-critical: started before
/// any other piece, earliest first), moved when it seeks. One reader per sequential consumer (an HTTP request); dispose it
/// to drop its deadlines. Thread-safe for one consumer at a time.
/// </summary>
internal sealed class StreamingReader : IAsyncDisposable
{
    private readonly TorrentRunner _runner;
    private readonly int _fileIndex;
    private readonly HashSet<int> _deadlines = [];
    private long _expectedPosition = -1;

    /// <param name="aheadBytes">How far ahead of the position pieces get deadlines.</param>
    /// <param name="firstDeadline">The deadline of the piece under the position; each following piece gets <paramref name="step"/> more.</param>
    public StreamingReader(TorrentRunner runner, int fileIndex, long aheadBytes = 4 * 1024 * 1024, TimeSpan? firstDeadline = null, TimeSpan? step = null)
    {
        _runner = runner;
        _fileIndex = fileIndex;
        AheadBytes = Math.Max(1, aheadBytes);
        FirstDeadline = firstDeadline ?? TimeSpan.FromMilliseconds(500);
        Step = step ?? TimeSpan.FromMilliseconds(250);
    }

    public long AheadBytes { get; }

    public TimeSpan FirstDeadline { get; }

    public TimeSpan Step { get; }

    /// <summary>Seeks so far (a read not at the end of the previous one).</summary>
    public int Seeks { get; private set; }

    /// <summary>
    /// Reads up to <paramref name="destination"/>.Length bytes of the file at <paramref name="position"/>, within one piece;
    /// waits until that piece is verified. Returns 0 at the end of the file.
    /// </summary>
    public async Task<int> ReadAsync(long position, Memory<byte> destination, CancellationToken cancellationToken)
    {
        var (session, storage, torrent) = await WaitForDataPhaseAsync(cancellationToken).ConfigureAwait(false);
        var file = torrent.Files[_fileIndex];
        ArgumentOutOfRangeException.ThrowIfNegative(position);
        if (position >= file.Length || destination.IsEmpty)
            return 0;
        var absolute = file.Offset + position;
        var piece = (int)(absolute / torrent.PieceLength);
        var inPiece = (int)(absolute - torrent.PieceOffset(piece));
        var length = (int)Math.Min(Math.Min(destination.Length, torrent.PieceSize(piece) - inPiece), file.Length - position);
        if (position != _expectedPosition)
        {
            if (_expectedPosition >= 0)
                Seeks++;
        }
        MoveDeadlines(session, torrent, file, position);
        await WaitForPieceAsync(session, piece, cancellationToken).ConfigureAwait(false);
        await storage.ReadAsync(piece, inPiece, destination[..length], cancellationToken).ConfigureAwait(false);
        _expectedPosition = position + length;
        return length;
    }

    /// <summary>The file's length once the torrent is known (a magnet's metadata may still be on its way).</summary>
    public async Task<long> LengthAsync(CancellationToken cancellationToken)
    {
        var (_, _, torrent) = await WaitForDataPhaseAsync(cancellationToken).ConfigureAwait(false);
        return torrent.Files[_fileIndex].Length;
    }

    public ValueTask DisposeAsync()
    {
        if (_runner.Session is { } session)
            foreach (var piece in _deadlines)
                session.ClearPieceDeadline(piece, this);
        _deadlines.Clear();
        return ValueTask.CompletedTask;
    }

    /// <summary>Deadlines on the pieces from the one under <paramref name="position"/> to <see cref="AheadBytes"/> on; those behind are dropped.</summary>
    private void MoveDeadlines(TorrentSession session, Torrent torrent, TorrentFile file, long position)
    {
        var first = (int)((file.Offset + position) / torrent.PieceLength);
        var end = Math.Min(file.EndOffset, file.Offset + position + AheadBytes);
        var last = (int)((end - 1) / torrent.PieceLength);
        foreach (var old in _deadlines.Where(p => p < first || p > last).ToList())
        {
            session.ClearPieceDeadline(old, this);
            _deadlines.Remove(old);
        }
        var added = new List<(int, TimeSpan)>();
        for (var piece = first; piece <= last; piece++)
        {
            // Pieces already had need none; ones already given keep theirs (set relative to when the reader got there).
            if (_deadlines.Contains(piece) || session.HasPiece(piece))
                continue;
            added.Add((piece, FirstDeadline + Step * (piece - first)));
            _deadlines.Add(piece);
        }
        // All at once: after a seek, the peers' queues are rearranged for the whole window in one go.
        if (added.Count > 0)
            session.SetPieceDeadlines(added, this);
    }

    private static async Task WaitForPieceAsync(TorrentSession session, int piece, CancellationToken cancellationToken)
    {
        if (session.HasPiece(piece))
            return;
        var arrived = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        void OnVerified(int verified)
        {
            if (verified == piece)
                arrived.TrySetResult();
        }
        session.PieceVerified += OnVerified;
        try
        {
            if (session.HasPiece(piece))
                return;
            await arrived.Task.WaitAsync(cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            session.PieceVerified -= OnVerified;
        }
    }

    private async Task<(TorrentSession Session, IPieceStore Storage, Torrent Torrent)> WaitForDataPhaseAsync(CancellationToken cancellationToken)
    {
        // The data phase starts after the metadata and the start-up check; polled, as it happens once per run.
        while (true)
        {
            if (_runner.Session is { } session && _runner.Storage is { } storage && _runner.Torrent is { } torrent)
                return (session, storage, torrent);
            if (_runner.State is TorrentState.Error or TorrentState.Stopped or TorrentState.Paused)
                throw new IOException($"the torrent is not running ({_runner.State}{(_runner.Error is { } e ? ": " + e : "")})");
            await Task.Delay(TimeSpan.FromMilliseconds(50), cancellationToken).ConfigureAwait(false);
        }
    }
}
