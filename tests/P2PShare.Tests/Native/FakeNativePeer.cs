using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Text.Json.Nodes;

namespace P2PShare.Tests.Native;

/// <summary>A scripted remote for hostile-input tests: raw lines over one TCP connection, every read bounded.</summary>
internal sealed class FakeNativePeer : IAsyncDisposable
{
    private readonly TcpListener? _listener;
    private TcpClient? _client;
    private StreamReader? _reader;

    private FakeNativePeer(TcpListener? listener) => _listener = listener;

    public int Port => ((IPEndPoint)_listener!.LocalEndpoint).Port;

    /// <summary>Listens so that the node under test can dial it.</summary>
    public static FakeNativePeer Listen()
    {
        var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return new FakeNativePeer(listener);
    }

    /// <summary>Connects to a node; a small <paramref name="receiveBuffer"/> makes a peer that does not read stall the node's writes soon.</summary>
    public static async Task<FakeNativePeer> ConnectAsync(int port, int? receiveBuffer = null)
    {
        var peer = new FakeNativePeer(null) { _client = new TcpClient() };
        if (receiveBuffer is { } size)
            peer._client.ReceiveBufferSize = size;
        await peer._client.ConnectAsync(IPAddress.Loopback, port).WaitAsync(NativeTestSupport.Deadline);
        peer._reader = new StreamReader(peer._client.GetStream(), Encoding.UTF8);
        return peer;
    }

    public async Task AcceptAsync()
    {
        _client = await _listener!.AcceptTcpClientAsync().WaitAsync(NativeTestSupport.Deadline);
        _reader = new StreamReader(_client.GetStream(), Encoding.UTF8);
    }

    public async Task SendAsync(string line) => await SendRawAsync(line + "\n");

    public async Task SendRawAsync(string text)
    {
        var bytes = Encoding.UTF8.GetBytes(text);
        await _client!.GetStream().WriteAsync(bytes).AsTask().WaitAsync(NativeTestSupport.Deadline);
    }

    /// <summary>The next JSON line, or null when the other side closed the connection.</summary>
    public async Task<JsonObject?> ReadAsync(TimeSpan? timeout = null)
    {
        var line = await _reader!.ReadLineAsync().WaitAsync(timeout ?? NativeTestSupport.Deadline);
        return line is null ? null : JsonNode.Parse(line)!.AsObject();
    }

    /// <summary>Reads until a message of the given type arrives; null when the connection closed first.</summary>
    public async Task<JsonObject?> ReadTypeAsync(string type)
    {
        while (await ReadAsync() is { } message)
            if ((string?)message["type"] == type)
                return message;
        return null;
    }

    /// <summary>True when the other side closed the connection within the deadline (or <paramref name="timeout"/> per read).</summary>
    public async Task<bool> WasClosedAsync(TimeSpan? timeout = null)
    {
        try
        {
            while (await ReadAsync(timeout) is not null)
            {
            }
            return true;
        }
        catch (IOException)
        {
            return true;
        }
    }

    /// <summary>A handshake line; <paramref name="extensions"/> (the "ext" field) asks for P2PShare's extensions.</summary>
    public static string Handshake(string id, string? name, long? size, string? hash, int pieceSize = 65536, int port = 1, int? extensions = null)
    {
        var handshake = new JsonObject
        {
            ["type"] = "handshake", ["id"] = id, ["fileName"] = name, ["fileSize"] = size, ["fileHash"] = hash, ["pieceSize"] = pieceSize, ["port"] = port,
        };
        if (extensions is { } level)
            handshake["ext"] = level;
        return handshake.ToJsonString();
    }

    public static string Piece(int index, ReadOnlySpan<byte> data) =>
        $"{{\"type\":\"piece\",\"index\":{index},\"data\":\"{Convert.ToBase64String(data)}\"}}";

    public async ValueTask DisposeAsync()
    {
        _client?.Dispose();
        _listener?.Stop();
        await Task.CompletedTask;
    }
}
