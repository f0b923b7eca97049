namespace P2PShare.Engine;

/// <summary>
/// How a source of whole pieces (a web seed, a native peer) hands over a piece it filled: mark every block as its,
/// start the torrent's verifier, wait for the verdict, and free the source's slot. The piece stays the source's until
/// it is checked, so its buffer counts against the source's pieces in flight and a bad piece is known before the next
/// one is fetched.
/// </summary>
internal static class WholePieceDelivery
{
    /// <summary>True when the piece passed its hash check (or another copy of it was verified first).</summary>
    /// <param name="gate">The torrent session's lock.</param>
    /// <param name="done">Runs under the lock once the wait is over (passed, failed or cancelled), after the slot is freed.</param>
    public static async Task<bool> DeliverAsync(object gate, PieceVerifier verifier, PieceDownload piece, IPieceSender source,
        CancellationToken cancellationToken, Action? done = null)
    {
        Task<bool> verdict;
        lock (gate)
        {
            piece.MarkAllReceived(source);
            verdict = source.AwaitVerdict(piece.Index);
        }
        verifier.Start(piece);
        try
        {
            return await verdict.WaitAsync(cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            lock (gate)
            {
                source.InFlight--;
                done?.Invoke();
            }
        }
    }
}
