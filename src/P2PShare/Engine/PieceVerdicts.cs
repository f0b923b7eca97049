namespace P2PShare.Engine;

/// <summary>
/// The hash verdicts a whole-piece source (a web seed, a native peer) waits for: it hands a piece to the verifier and
/// awaits pass or fail, so a bad piece is known before its next one is fetched. Not thread-safe: callers hold the
/// session's lock.
/// </summary>
internal sealed class PieceVerdicts
{
    private readonly Dictionary<int, TaskCompletionSource<bool>> _waiting = [];

    /// <summary>Completes with true when the piece passes its hash check, false when it fails (or the source ends).</summary>
    public Task<bool> Await(int pieceIndex)
    {
        var verdict = new TaskCompletionSource<bool>(TaskCreationOptions.RunContinuationsAsynchronously);
        _waiting[pieceIndex] = verdict;
        return verdict.Task;
    }

    public void Decide(int pieceIndex, bool passed)
    {
        if (_waiting.Remove(pieceIndex, out var verdict))
            verdict.TrySetResult(passed);
    }

    /// <summary>Every open verdict fails: the source is gone.</summary>
    public void FailAll()
    {
        foreach (var verdict in _waiting.Values)
            verdict.TrySetResult(false);
        _waiting.Clear();
    }
}
