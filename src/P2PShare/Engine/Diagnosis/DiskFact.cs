namespace P2PShare.Engine.Diagnosis;

/// <summary>
/// The engine's disk queue: bytes of completed pieces waiting to be hashed and written against its budget, receive loops
/// waiting for room (<paramref name="HasRoom"/> false: the network is held back), and the mean time a job took recently.
/// </summary>
internal sealed record DiskFact(long BytesHeld, long BudgetBytes, int WaitingProducers, bool HasRoom, double? AverageJobMilliseconds);
