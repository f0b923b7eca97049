namespace P2PShare.Bencode;

/// <summary>
/// A value the decoder checked as strictly as any other but did not build (<see cref="BencodeOptions.DeferredPath"/>):
/// its bytes are <see cref="BValue.Raw"/>, for the caller to read with a <see cref="BencodeSpanReader"/>.
/// </summary>
internal sealed class BDeferred : BValue
{
    /// <summary>The value's first byte: 'i', 'l', 'd', or a digit for a string.</summary>
    public byte Kind => Raw.Span[0];
}
