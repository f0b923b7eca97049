namespace P2PShare.Protocol.Wire;

/// <summary>
/// The fields of a BEP 52 hash request, hashes or hash reject message: which file (its 32-byte pieces root, as
/// lowercase hex), which layer of its merkle tree (0 = the 16 KiB block hashes), the first node and how many, and the
/// proof layers. As libtorrent (the reference implementation) counts them, the uncle hashes of an answer sit at the
/// levels above the base layer from log2(length) (the sibling of the subtree the base hashes span) up to
/// <see cref="ProofLayers"/> inclusive; a proof up to a file's root of height H asks for H - base - 1.
/// </summary>
internal readonly record struct HashRequest(string Root, int BaseLayer, int Index, int Length, int ProofLayers)
{
    /// <summary>Uncle hashes a full answer carries after the <see cref="Length"/> base hashes: one per level from the top
    /// of the subtree they span up to <see cref="ProofLayers"/>.</summary>
    public int UncleCount => Math.Max(0, ProofLayers - System.Numerics.BitOperations.Log2(System.Numerics.BitOperations.RoundUpToPowerOf2((uint)Math.Max(1, Length))) + 1);

    /// <summary>Hashes a full answer carries in all.</summary>
    public int AnswerHashCount => Length + UncleCount;

    public override string ToString() => $"hashes of {Root[..8]}… layer {BaseLayer} [{Index}, +{Length}) proof {ProofLayers}";
}
