namespace P2PShare.Networking;

/// <summary>
/// A connection as a <see cref="Stream"/>: readable and writable, never seekable and without a length. The members
/// every such stream answers the same way live here once (encryption layers, replayed prefixes, test and fuzz streams).
/// </summary>
internal abstract class DuplexStream : Stream
{
    public sealed override bool CanRead => true;
    public sealed override bool CanSeek => false;
    public sealed override bool CanWrite => true;
    public sealed override long Length => throw new NotSupportedException();
    public sealed override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }
    public sealed override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
    public sealed override void SetLength(long value) => throw new NotSupportedException();
}
