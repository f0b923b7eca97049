using P2PShare.Protocol;
using P2PShare.Networking.Peers;
using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using Microsoft.Extensions.Logging;
using P2PShare.Networking.Native;
using P2PShare.Protocol.Native;

namespace P2PShare.Engine.Native;

/// <summary>
/// A native-mode node: seeds the file when it is complete, downloads it otherwise, and keeps seeding
/// after completing. State changes happen under one lock; disk and socket I/O happen outside it.
/// Message handling is in NativeNode.Messages.cs, dialling in NativeNode.Dialling.cs.
/// </summary>
internal sealed partial class NativeNode : IAsyncDisposable
{
    private readonly object _gate = new();
    private readonly NativeNodeOptions _options;
    private readonly INativeFileStorage _storage;
    private readonly ILogger _logger;
    private readonly TimeProvider _time;
    private readonly NativeSecurity _security;
    private readonly CancellationTokenSource _stop = new();
    private readonly BackgroundTasks _background;
    private readonly NativePendingHandshakes _pendingHandshakes;
    private readonly Dictionary<string, NativePeerSession> _sessions = new(StringComparer.Ordinal);
    private readonly Dictionary<string, long> _receivedByPeer = new(StringComparer.Ordinal);
    private readonly TaskCompletionSource _completed = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private NativeDownload _download = null!;
    private NativePieceScheduler<NativePeerSession>? _scheduler;
    private PeerListener? _listener;
    private bool _resumeDirty;
    private bool _verifying;
    private int _verificationFailures;
    private long _bytesDownloaded;
    private long _bytesUploadedByClosedConnections;

    private NativeNode(NativeNodeOptions options, INativeFileStorage storage, NativeSecurity security, ILogger logger, TimeProvider time)
    {
        _options = options;
        _storage = storage;
        _security = security;
        _logger = logger;
        _time = time;
        _background = new BackgroundTasks(logger);
        _pendingHandshakes = new NativePendingHandshakes(options.MaxPendingHandshakes);
    }

    /// <summary>16 hex characters, new for every run.</summary>
    public string Id { get; } = NativePeerId.NewId();

    public int ListenPort { get; private set; }

    /// <summary>Completes when the file is complete and its SHA-1 verified; faults when verification keeps failing.</summary>
    public Task Completion => _completed.Task;

    public string ResumeFilePath => _download.ResumePath;

    /// <summary>
    /// Opens (or hashes) the file through <paramref name="storage"/>, starts listening and dials the --peer list.
    /// Returns once listening.
    /// </summary>
    public static async Task<NativeNode> StartAsync(NativeNodeOptions options, INativeFileStorage storage, NativeSecurity security, ILogger logger, TimeProvider time, CancellationToken cancellationToken)
    {
        var node = new NativeNode(options, storage, security, logger, time);
        try
        {
            await node.StartCoreAsync(cancellationToken).ConfigureAwait(false);
        }
        catch
        {
            await node.DisposeAsync().ConfigureAwait(false);
            throw;
        }
        return node;
    }

    private async Task StartCoreAsync(CancellationToken cancellationToken)
    {
        _download = await NativeDownload.OpenAsync(_options.FilePath, _storage, _logger, cancellationToken).ConfigureAwait(false);
        if (_download.IsComplete)
            _completed.TrySetResult();
        else if (_download.File is not null)
            CreateScheduler();
        _listener = PeerListener.Start(_options.ListenAddress, _options.ListenPort, _logger, portsToTry: 1);
        ListenPort = _listener.Port;
        _logger.LogInformation("Node {Id} listening on port {Port}", Id, ListenPort);
        Track(_listener.RunAsync((socket, ct) => _background.Track(HandleIncomingAsync(socket, ct)), _stop.Token));
        Track(MaintenanceLoopAsync(_stop.Token));
        foreach (var peer in _options.Peers)
            StartDialling(peer, persistent: true, knownId: null);
        lock (_gate)
            CheckCompleteLocked();
    }

    private void CreateScheduler() =>
        _scheduler = new NativePieceScheduler<NativePeerSession>(_download.File!.PieceCount, _options.RequestTimeout, _time);

    public NativeProgress GetProgress()
    {
        lock (_gate)
        {
            var uploaded = _bytesUploadedByClosedConnections + _sessions.Values.Sum(s => s.Connection.BytesUploaded);
            return new NativeProgress(
                _download.File is not null,
                _download.IsComplete,
                _download.Pieces?.CountSet ?? 0,
                _download.File?.PieceCount ?? 0,
                _download.File?.FileSize ?? 0,
                _bytesDownloaded,
                uploaded,
                _sessions.Count);
        }
    }

    /// <summary>Ids of the peers connected now.</summary>
    public IReadOnlyList<string> ConnectedPeerIds()
    {
        lock (_gate)
            return [.. _sessions.Keys];
    }

    /// <summary>How many pieces this node got from the peer with that id (over all its connections).</summary>
    public long PiecesReceivedFrom(string peerId)
    {
        lock (_gate)
            return _receivedByPeer.GetValueOrDefault(peerId);
    }

    private async Task HandleIncomingAsync(Socket socket, CancellationToken cancellationToken)
    {
        var remote = (IPEndPoint)socket.RemoteEndPoint!;
        lock (_gate)
        {
            if (_sessions.Count >= _options.MaxConnections)
            {
                socket.Dispose();
                return;
            }
        }
        if (!_pendingHandshakes.TryEnter())
        {
            _logger.LogDebug("Refused incoming connection from {Remote}: {Max} handshakes pending already", remote, _pendingHandshakes.Max);
            socket.Dispose();
            return;
        }
        NativeConnection connection;
        NetworkStream? stream = null;
        try
        {
            socket.NoDelay = true;
            stream = new NetworkStream(socket, ownsSocket: true);
            connection = await NativeConnectionEstablisher.EstablishAsync(stream, remote, dialled: false, OwnHandshake(), _security,
                _options.Limits, _options.ConnectTimeout, _logger, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception error) when (error is IOException or OperationCanceledException or System.Security.Authentication.AuthenticationException or SocketException)
        {
            _logger.LogDebug("Incoming connection from {Remote} failed: {Error}", remote, error.Message);
            if (stream is not null)
                await stream.DisposeAsync().ConfigureAwait(false);
            else
                socket.Dispose();
            return;
        }
        finally
        {
            _pendingHandshakes.Exit();
        }
        await RunSessionAsync(connection).ConfigureAwait(false);
    }

    private NativeHandshake OwnHandshake()
    {
        lock (_gate)
        {
            var file = _download.File;
            var offerHashes = _download.IsComplete && file?.PieceHashes is { } hashes && hashes.Count <= _options.MaxPiecesForPieceHashes;
            return new NativeHandshake(
                Id,
                file?.FileName is { Length: > 0 } name ? name : Path.GetFileName(_options.FilePath),
                file?.FileSize,
                file?.FileHash,
                file?.PieceSize ?? NativeFileDescriptor.StandardPieceSize,
                ListenPort)
            {
                PieceHashes = offerHashes ? file!.PieceHashes : null,
                Extensions = 1,
                Tls = _security.UseTls,
                AuthNonce = _security.Secret is null ? null : NativeSecretProof.NewNonce(),
            };
        }
    }

    /// <summary>Registers an established connection and runs it to its end. False when it was refused.</summary>
    private async Task<bool> RunSessionAsync(NativeConnection connection)
    {
        NativePeerSession? session;
        string? reason;
        lock (_gate)
            session = RegisterLocked(connection, out reason);
        if (session is null)
        {
            _logger.LogInformation("Refused peer {Remote}: {Reason}", connection.RemoteEndPoint, reason);
            await connection.DisposeAsync().ConfigureAwait(false);
            return false;
        }
        _logger.LogInformation("Connected to peer {PeerId} at {Remote} ({Direction}{Tls})", session.Id, connection.RemoteEndPoint,
            connection.Dialled ? "outgoing" : "incoming", connection.IsEncrypted ? ", TLS" : "");
        try
        {
            await connection.RunAsync(message => HandleMessageAsync(session, message), session.Stop.Token).ConfigureAwait(false);
            _logger.LogInformation("Peer {PeerId} closed the connection", session.Id);
        }
        catch (Exception error) when (error is IOException or OperationCanceledException or SocketException or ObjectDisposedException or InvalidOperationException)
        {
            _logger.LogInformation("Connection to peer {PeerId} ended: {Error}", session.Id, error.Message);
        }
        finally
        {
            lock (_gate)
                UnregisterLocked(session);
            await connection.DisposeAsync().ConfigureAwait(false);
            session.Stop.Dispose();
        }
        return true;
    }

    private void UnregisterLocked(NativePeerSession session)
    {
        if (_sessions.TryGetValue(session.Id, out var current) && ReferenceEquals(current, session))
            _sessions.Remove(session.Id);
        _bytesUploadedByClosedConnections += session.Connection.BytesUploaded;
        _scheduler?.ReleaseAll(session);
        session.Requested.Clear();
        foreach (var other in _sessions.Values)
            PumpLocked(other);
    }

    private async Task MaintenanceLoopAsync(CancellationToken cancellationToken)
    {
        var tick = TimeSpan.FromTicks(Math.Max(TimeSpan.FromMilliseconds(50).Ticks, Math.Min(TimeSpan.FromSeconds(1).Ticks, _options.RequestTimeout.Ticks / 4)));
        using var timer = new PeriodicTimer(tick, _time);
        var lastSave = _time.GetUtcNow();
        var lastKeepAlive = _time.GetUtcNow();
        try
        {
            while (await timer.WaitForNextTickAsync(cancellationToken).ConfigureAwait(false))
            {
                var now = _time.GetUtcNow();
                Bitfield? snapshot = null;
                lock (_gate)
                {
                    ExpireRequestsLocked();
                    if (now - lastKeepAlive >= _options.KeepAliveInterval)
                    {
                        lastKeepAlive = now;
                        foreach (var session in _sessions.Values.Where(s => s.UnderstandsExtensions))
                            session.Connection.Send(NativeKeepAlive.Instance);
                    }
                    if (_resumeDirty && now - lastSave >= _options.ResumeSaveInterval && _download.Pieces is { } pieces)
                    {
                        snapshot = SnapshotLocked(pieces);
                        _resumeDirty = false;
                        lastSave = now;
                    }
                }
                if (snapshot is not null)
                    await SaveResumeAsync(snapshot, cancellationToken).ConfigureAwait(false);
            }
        }
        catch (OperationCanceledException)
        {
        }
    }

    private static Bitfield SnapshotLocked(Bitfield pieces) => pieces.Clone();

    private async Task SaveResumeAsync(Bitfield snapshot, CancellationToken cancellationToken)
    {
        try
        {
            await _download.SaveResumeAsync(snapshot, cancellationToken).ConfigureAwait(false);
        }
        catch (IOException error)
        {
            _logger.LogWarning("Could not save the resume file: {Error}", error.Message);
        }
    }

    private void ExpireRequestsLocked()
    {
        if (_scheduler is null)
            return;
        var expired = _scheduler.Expire();
        foreach (var (session, index) in expired)
        {
            session.Requested.Remove(index);
            if (session.UnderstandsExtensions)
                session.Connection.Send(new NativeCancel(index));
            _logger.LogDebug("Request for piece {Index} to peer {PeerId} timed out", index, session.Id);
        }
        // Also refills peers whose slots are free: a piece avoided at one peer becomes askable again with time.
        foreach (var session in _sessions.Values)
            if (session.Requested.Count < _options.MaxOutstandingRequestsPerPeer)
                PumpLocked(session);
    }

    private void Track(Task task) => _background.Track(task);

    public async ValueTask DisposeAsync()
    {
        if (_stop.IsCancellationRequested)
            return;
        await _stop.CancelAsync().ConfigureAwait(false);
        if (_listener is not null)
            await _listener.DisposeAsync().ConfigureAwait(false);
        await _background.WhenAllAsync(TimeSpan.FromSeconds(5)).ConfigureAwait(false);
        Bitfield? snapshot = null;
        lock (_gate)
        {
            if (_download?.Pieces is { } pieces && !_download.IsComplete)
                snapshot = SnapshotLocked(pieces);
        }
        if (snapshot is not null)
            await SaveResumeAsync(snapshot, CancellationToken.None).ConfigureAwait(false);
        _download?.Dispose();
        _completed.TrySetCanceled();
    }
}
