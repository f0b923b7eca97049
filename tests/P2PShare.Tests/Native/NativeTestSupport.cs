using System.Diagnostics;
using System.Net;
using System.Security.Cryptography;
using Microsoft.Extensions.Logging.Abstractions;
using P2PShare.Engine.Native;
using P2PShare.Networking.Native;
using P2PShare.Storage.Native;

namespace P2PShare.Tests.Native;

/// <summary>Shared helpers: temp folders, random files, in-process nodes, bounded waits.</summary>
internal static class NativeTestSupport
{
    public static readonly TimeSpan Deadline = TimeSpan.FromSeconds(30);

    public static string NewTempDirectory()
    {
        var path = Path.Combine(Path.GetTempPath(), "p2pshare-native-" + Guid.NewGuid().ToString("N")[..12]);
        Directory.CreateDirectory(path);
        return path;
    }

    public static byte[] WriteRandomFile(string path, int size, int seed)
    {
        var data = new byte[size];
        new Random(seed).NextBytes(data);
        File.WriteAllBytes(path, data);
        return data;
    }

    public static string Sha1Hex(byte[] data) => Convert.ToHexStringLower(SHA1.HashData(data));

    public static NativeNodeOptions Options(string file, params int[] peerPorts) => new()
    {
        FilePath = file,
        ListenAddress = IPAddress.Loopback,
        Peers = [.. peerPorts.Select(p => new DnsEndPoint("127.0.0.1", p))],
        RequestTimeout = TimeSpan.FromSeconds(5),
        ReconnectDelay = TimeSpan.FromMilliseconds(100),
        MaxReconnectDelay = TimeSpan.FromSeconds(1),
        ResumeSaveInterval = TimeSpan.FromMilliseconds(100),
    };

    public static Task<NativeNode> StartAsync(NativeNodeOptions options, NativeSecurity? security = null) =>
        NativeNode.StartAsync(options, new NativeFileStorage(), security ?? NativeSecurity.None, NullLogger.Instance, TimeProvider.System, CancellationToken.None);

    /// <summary>Polls <paramref name="condition"/> until it holds; fails the test at the deadline.</summary>
    public static async Task WaitUntilAsync(Func<bool> condition, string what, TimeSpan? timeout = null)
    {
        var stopwatch = Stopwatch.StartNew();
        var limit = timeout ?? Deadline;
        while (!condition())
        {
            if (stopwatch.Elapsed > limit)
                Assert.Fail($"timed out after {limit.TotalSeconds:0}s waiting for {what}");
            await Task.Delay(25);
        }
    }

    public static async Task WaitAsync(Task task, string what, TimeSpan? timeout = null)
    {
        var limit = timeout ?? Deadline;
        if (await Task.WhenAny(task, Task.Delay(limit)) != task)
            Assert.Fail($"timed out after {limit.TotalSeconds:0}s waiting for {what}");
        await task;
    }

    public static void DeleteDirectory(string path)
    {
        try
        {
            Directory.Delete(path, recursive: true);
        }
        catch (IOException)
        {
        }
    }
}
