using P2PShare.Engine.Diagnosis;

namespace P2PShare.Engine;

/// <summary>What the dialer tells a diagnosis: why dials failed, per address and in total.</summary>
internal sealed partial class PeerDialer
{
    /// <summary>How many addresses are being dialled now.</summary>
    public int Connecting => _halfOpen.Count;

    private static void RecordFailure(KnownPeer known, Exception error)
    {
        known.LastFailureKind = DialFailureClassifier.Classify(error);
        known.LastFailureMessage = error.Message;
    }

    /// <summary>Addresses whose last dial failed (and that are not connected now): up to <see cref="SwarmFacts.MaxFailureExamples"/> examples, and counts by reason.</summary>
    public (IReadOnlyList<DialFailureFact> Examples, IReadOnlyDictionary<DialFailureKind, int> ByKind) DialFailureFacts()
    {
        var examples = new List<DialFailureFact>();
        var byKind = new Dictionary<DialFailureKind, int>();
        foreach (var known in _known.Entries)
        {
            if (known.IsConnected || known.LastFailureKind is not { } kind)
                continue;
            byKind[kind] = byKind.GetValueOrDefault(kind) + 1;
            if (examples.Count < SwarmFacts.MaxFailureExamples)
                examples.Add(new DialFailureFact(known.EndPoint.ToString(), known.Source, kind, known.LastFailureMessage ?? kind.ToString(), known.DialFailures));
        }
        return (examples, byKind);
    }
}
