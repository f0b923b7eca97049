using P2PShare.Protocol;
using System.Buffers;
using System.Security.Cryptography;
using Microsoft.Extensions.Logging;
using P2PShare.Networking.Native;
using P2PShare.Protocol.Native;

namespace P2PShare.Engine.Native;

/// <summary>
/// The file side of a node: what is shared, which pieces are verified, the bytes and the resume bitmap
/// (kept by the storage behind <see cref="INativeFileStorage"/>). The node serialises calls with its lock;
/// disk I/O methods are safe to call outside it.
/// </summary>
internal sealed class NativeDownload : INativePieceSource, IDisposable
{
    private readonly string _path;
    private readonly ILogger _logger;
    private readonly INativeFileStorage _storage;
    private readonly INativeResumeStore _resume;
    private readonly SemaphoreSlim _saveLock = new(1, 1);
    private INativePieceStore? _store;

    private NativeDownload(string path, INativeFileStorage storage, ILogger logger)
    {
        _path = path;
        _storage = storage;
        _logger = logger;
        _resume = storage.OpenResume(path);
    }

    public NativeFileDescriptor? File { get; private set; }

    public Bitfield? Pieces { get; private set; }

    /// <summary>All pieces present and the whole-file SHA-1 checked (or a complete file we seed).</summary>
    public bool IsComplete { get; private set; }

    public string ResumePath => _resume.Path;

    public static async Task<NativeDownload> OpenAsync(string path, INativeFileStorage storage, ILogger logger, CancellationToken cancellationToken)
    {
        var download = new NativeDownload(path, storage, logger);
        if (download._resume.Exists)
        {
            // A resume file means the data file is partial, whatever its length.
            NativeResumeState? state = null;
            try
            {
                state = download._resume.Load();
            }
            catch (InvalidDataException error)
            {
                logger.LogWarning("Ignoring a damaged resume file; the download starts over: {Reason}", error.Message);
            }
            if (state is not null)
            {
                download.File = state.File;
                download.Pieces = state.Pieces;
                if (storage.DataFileLength(path) != state.File.FileSize)
                    download.Pieces = new Bitfield(state.File.PieceCount);
                download._store = storage.OpenForDownload(path, state.File);
                logger.LogInformation("Resuming {File}: {Have}/{Total} pieces already verified", path, download.Pieces.CountSet, download.Pieces.Length);
            }
        }
        else if (storage.DataFileLength(path) is not null)
        {
            logger.LogInformation("Hashing {File} to seed it", path);
            var file = await storage.DescribeAsync(path, cancellationToken).ConfigureAwait(false);
            download.File = file;
            download.Pieces = new Bitfield(file.PieceCount);
            download.Pieces.SetAll();
            download._store = storage.OpenForSeeding(path, file);
            download.IsComplete = true;
            logger.LogInformation("Seeding {File}: {Size} bytes, {Pieces} pieces, SHA-1 {Hash}", path, file.FileSize, file.PieceCount, file.FileHash);
        }
        return download;
    }

    /// <summary>Takes the file description from a peer's handshake when this node does not know it yet.</summary>
    public bool TryAdopt(NativeHandshake handshake, NativeCodecLimits limits, out string? reason)
    {
        reason = null;
        if (File is not null)
            return true;
        if (handshake.FileHash is null || handshake.FileSize is not { } size)
            return true;
        if (!NativeFileDescriptor.IsAcceptable(size, handshake.PieceSize, limits, out reason))
            return false;
        var file = new NativeFileDescriptor(handshake.FileName ?? "", size, handshake.FileHash, handshake.PieceSize);
        if (handshake.PieceHashes is { } hashes && hashes.Count == file.PieceCount)
            file = file with { PieceHashes = hashes };
        var pieces = new Bitfield(file.PieceCount);
        // The resume file goes first: should we crash right after, the data file is never taken as complete.
        _resume.Save(new NativeResumeState(file, pieces));
        _store = _storage.OpenForDownload(_path, file);
        File = file;
        Pieces = pieces;
        _logger.LogInformation("Downloading {File}: {Size} bytes, {Pieces} pieces, SHA-1 {Hash}", _path, size, file.PieceCount, file.FileHash);
        return true;
    }

    /// <summary>Learns per-piece hashes later, from a peer of the same file that offers them.</summary>
    public void OfferPieceHashes(IReadOnlyList<string>? hashes)
    {
        if (File is { PieceHashes: null } file && hashes is not null && hashes.Count == file.PieceCount && !IsComplete)
            File = file with { PieceHashes = hashes };
    }

    public bool Has(int index) => Pieces is { } pieces && index >= 0 && index < pieces.Length && pieces[index];

    public int PieceLength(int index) => Has(index) ? File!.PieceLength(index) : -1;

    public ValueTask<int> ReadPieceAsync(int index, Memory<byte> destination, CancellationToken cancellationToken) =>
        _store!.ReadPieceAsync(index, destination, cancellationToken);

    public ValueTask WritePieceAsync(int index, ReadOnlyMemory<byte> data, CancellationToken cancellationToken) =>
        _store!.WritePieceAsync(index, data, cancellationToken);

    /// <summary>True when no per-piece hash is known or the data matches it.</summary>
    public bool VerifyPiece(int index, ReadOnlySpan<byte> data)
    {
        if (File?.PieceHashes is not { } hashes)
            return true;
        Span<byte> hash = stackalloc byte[SHA1.HashSizeInBytes];
        SHA1.HashData(data, hash);
        return Convert.ToHexStringLower(hash) == hashes[index];
    }

    /// <summary>Saves the bitmap: data is flushed to disk first, so every piece it lists is durable.</summary>
    public async Task SaveResumeAsync(Bitfield snapshot, CancellationToken cancellationToken)
    {
        await _saveLock.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            if (IsComplete || File is null || _store is null)
                return;
            _store.Flush();
            _resume.Save(new NativeResumeState(File, snapshot));
        }
        finally
        {
            _saveLock.Release();
        }
    }

    public Task<string> ComputeFileHashAsync(CancellationToken cancellationToken) => _store!.ComputeFileHashAsync(cancellationToken);

    /// <summary>Pieces whose bytes on disk do not match their per-piece hash (all pieces when hashes are unknown).</summary>
    public async Task<List<int>> FindBadPiecesAsync(CancellationToken cancellationToken)
    {
        var file = File!;
        if (file.PieceHashes is not { } hashes)
            return Enumerable.Range(0, file.PieceCount).ToList();
        var bad = new List<int>();
        var buffer = ArrayPool<byte>.Shared.Rent(Math.Max(1, file.PieceSize));
        try
        {
            for (var index = 0; index < file.PieceCount; index++)
            {
                var read = await _store!.ReadPieceAsync(index, buffer, cancellationToken).ConfigureAwait(false);
                if (Convert.ToHexStringLower(SHA1.HashData(buffer.AsSpan(0, read))) != hashes[index])
                    bad.Add(index);
            }
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
        return bad;
    }

    /// <summary>The whole-file hash matched: the resume file goes, and with it any doubt about the data file.</summary>
    public async Task MarkCompleteAsync(CancellationToken cancellationToken)
    {
        await _saveLock.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            _store!.Flush();
            IsComplete = true;
            _resume.Delete();
        }
        finally
        {
            _saveLock.Release();
        }
    }

    public void Dispose()
    {
        _store?.Dispose();
        _saveLock.Dispose();
    }
}
