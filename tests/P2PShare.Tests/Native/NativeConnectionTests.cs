using System.Net;
using System.Net.Sockets;
using Microsoft.Extensions.Logging.Abstractions;
using P2PShare.Networking.Native;
using P2PShare.Protocol.Native;
using static P2PShare.Tests.Native.NativeTestSupport;

namespace P2PShare.Tests.Native;

/// <summary>One established connection over a real loopback socket, driven by a scripted remote.</summary>
public class NativeConnectionTests
{
    private const int PieceSize = 1024;

    [Test]
    public async Task Cancels_for_pieces_not_queued_are_ignored_and_a_queued_one_is_skipped()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        await using var remote = await FakeNativePeer.ConnectAsync(((IPEndPoint)listener.LocalEndpoint).Port);
        using var accepted = await listener.AcceptSocketAsync().WaitAsync(Deadline);
        await remote.SendAsync(FakeNativePeer.Handshake("aaaaaaaaaaaaaaaa", "x", 8 * PieceSize, null, PieceSize, extensions: 1));
        var ours = new NativeHandshake("bbbbbbbbbbbbbbbb", "x", 8 * PieceSize, null, PieceSize, 1) { Extensions = 1 };
        await using var connection = await NativeConnectionEstablisher.EstablishAsync(new NetworkStream(accepted, ownsSocket: false),
            (IPEndPoint)accepted.RemoteEndPoint!, dialled: false, ours, NativeSecurity.None, NativeCodecLimits.Default, Deadline,
            NullLogger.Instance, CancellationToken.None);
        Assert.That(await remote.ReadTypeAsync("handshake"), Is.Not.Null);

        // The first upload waits until the cancel of piece 2 has been handled, so pieces 2 and 3 are still queued then.
        var source = new GatedSource();
        connection.PieceSource = source;
        var ignoredCancels = 0;
        using var stop = new CancellationTokenSource(Deadline);
        var run = connection.RunAsync(message =>
        {
            switch (message)
            {
                case NativeRequest request:
                    connection.TrySendPiece(request.Index, maxQueued: 4);
                    break;
                case NativeCancel cancel:
                    if (!connection.CancelUpload(cancel.Index))
                        ignoredCancels++;
                    if (cancel.Index == 2)
                        source.Release.TrySetResult();
                    break;
            }
            return ValueTask.CompletedTask;
        }, stop.Token);

        // A flood of cancels for pieces never requested: before the fix each one stayed in memory for good.
        const int Flood = 10_000;
        await remote.SendRawAsync(string.Concat(Enumerable.Range(100, Flood).Select(i => $"{{\"type\":\"cancel\",\"index\":{i}}}\n")));
        await remote.SendAsync("""{"type":"request","index":1}""");
        await remote.SendAsync("""{"type":"request","index":2}""");
        await remote.SendAsync("""{"type":"request","index":3}""");
        await remote.SendAsync("""{"type":"cancel","index":2}""");

        Assert.That((int)(await remote.ReadTypeAsync("piece"))!["index"]!, Is.EqualTo(1));
        Assert.That((int)(await remote.ReadTypeAsync("piece"))!["index"]!, Is.EqualTo(3), "the cancelled piece 2 is skipped");
        Assert.That(ignoredCancels, Is.EqualTo(Flood), "only the cancel of a queued piece counts");
        Assert.That(connection.CancelledUploadCount, Is.Zero, "nothing is kept for cancels of pieces that were not queued");
        await stop.CancelAsync();
        await WaitAsync(run.ContinueWith(_ => { }, TaskScheduler.Default), "the connection to stop");
    }

    /// <summary>Pieces of zeros; the first read waits for <see cref="Release"/>.</summary>
    private sealed class GatedSource : INativePieceSource
    {
        public TaskCompletionSource Release { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public int PieceLength(int index) => PieceSize;

        public async ValueTask<int> ReadPieceAsync(int index, Memory<byte> destination, CancellationToken cancellationToken)
        {
            await Release.Task.WaitAsync(Deadline, cancellationToken);
            destination.Span.Clear();
            return destination.Length;
        }
    }
}
