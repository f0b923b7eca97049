namespace P2PShare.Protocol.Wire;

/// <summary>
/// The fields of a BEP 52 hash request, hashes or hash reject message: which file (its 32-byte pieces root, as
/// lowercase hex), which layer of its merkle tree (0 = the 16 KiB block hashes), the first node and how many, and how
/// many layers of proof (counted from the base layer) the answer carries.
/// </summary>
public readonly record struct HashRequest(string Root, int BaseLayer, int Index, int Length, int ProofLayers)
{
    /// <summary>Uncle hashes a full answer carries after the <see cref="Length"/> base hashes: the proof layers above the
    /// subtree the base hashes already span.</summary>
    public int UncleCount => Math.Max(0, ProofLayers - System.Numerics.BitOperations.Log2(System.Numerics.BitOperations.RoundUpToPowerOf2((uint)Math.Max(1, Length))));

    /// <summary>Hashes a full answer carries in all.</summary>
    public int AnswerHashCount => Length + UncleCount;

    public override string ToString() => $"hashes of {Root[..8]}… layer {BaseLayer} [{Index}, +{Length}) proof {ProofLayers}";
}
