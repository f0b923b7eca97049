using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text;

namespace P2PShare.Tests.Trackers;

/// <summary>
/// A private opentracker on 127.0.0.1 for the tracker interop tests (HTTP and UDP on one port).
/// Debian's build only tracks whitelisted info-hashes; the whitelist is re-read on SIGHUP.
/// Kept in this folder on purpose: a shared fixture may replace it later.
/// </summary>
internal sealed class OpenTrackerProcess : IDisposable
{
    private readonly Process _process;
    private readonly string _directory;
    private readonly StringBuilder _output = new();

    private OpenTrackerProcess(Process process, string directory, int port)
    {
        _process = process;
        _directory = directory;
        Port = port;
    }

    public int Port { get; }

    public string HttpAnnounceUrl => $"http://127.0.0.1:{Port}/announce";

    public string UdpAnnounceUrl => $"udp://127.0.0.1:{Port}/announce";

    public string Output
    {
        get
        {
            lock (_output)
                return _output.ToString();
        }
    }

    /// <summary>Finds the program; missing fails under CI=true, otherwise the test is ignored.</summary>
    public static string RequireExecutable()
    {
        var path = (Environment.GetEnvironmentVariable("PATH") ?? "/usr/bin:/usr/local/bin")
            .Split(':', StringSplitOptions.RemoveEmptyEntries)
            .Select(dir => Path.Combine(dir, "opentracker"))
            .FirstOrDefault(File.Exists);
        if (path is not null)
            return path;
        const string reason = "opentracker is not installed (apt-get install opentracker)";
        if (Environment.GetEnvironmentVariable("CI") == "true")
            Assert.Fail(reason);
        Assert.Ignore(reason);
        return null!;
    }

    public static async Task<OpenTrackerProcess> StartAsync(TimeSpan timeout)
    {
        var executable = RequireExecutable();
        var directory = Directory.CreateTempSubdirectory("p2pshare-opentracker-").FullName;
        // As root it chroots here and drops to 'nobody': everything must be world-readable.
        MakeWorldReadable(directory, (UnixFileMode)0b111_101_101);
        var whitelist = Path.Combine(directory, "whitelist.txt");
        var config = Path.Combine(directory, "opentracker.conf");
        await File.WriteAllTextAsync(whitelist, "");
        await File.WriteAllTextAsync(config, "access.whitelist /whitelist.txt\n");
        MakeWorldReadable(whitelist, (UnixFileMode)0b110_100_100);
        MakeWorldReadable(config, (UnixFileMode)0b110_100_100);

        var port = FreePortForTcpAndUdp();
        var start = new ProcessStartInfo(executable)
        {
            // -d: chroot here explicitly, so that the whitelist path in the config resolves inside this directory.
            ArgumentList = { "-i", "127.0.0.1", "-p", port.ToString(), "-P", port.ToString(), "-d", directory, "-f", config },
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = directory,
        };
        var process = Process.Start(start) ?? throw new InvalidOperationException("opentracker did not start");
        var tracker = new OpenTrackerProcess(process, directory, port);
        process.OutputDataReceived += (_, e) => tracker.Append(e.Data);
        process.ErrorDataReceived += (_, e) => tracker.Append(e.Data);
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        try
        {
            await tracker.WaitForListeningAsync(timeout);
        }
        catch
        {
            tracker.Dispose();
            throw;
        }
        return tracker;
    }

    /// <summary>Adds an info-hash to the whitelist and makes opentracker re-read it (the caller polls until it is honoured).</summary>
    public async Task AllowAsync(P2PShare.Metainfo.InfoHash infoHash)
    {
        await File.AppendAllTextAsync(Path.Combine(_directory, "whitelist.txt"), infoHash.Hex + "\n");
        using var kill = Process.Start(new ProcessStartInfo("kill", ["-HUP", _process.Id.ToString()]) { UseShellExecute = false })!;
        await kill.WaitForExitAsync(new CancellationTokenSource(TimeSpan.FromSeconds(5)).Token);
    }

    private static void MakeWorldReadable(string path, UnixFileMode mode)
    {
        if (!OperatingSystem.IsWindows())
            File.SetUnixFileMode(path, mode);
    }

    private void Append(string? line)
    {
        if (line is null)
            return;
        lock (_output)
            _output.AppendLine(line);
    }

    private async Task WaitForListeningAsync(TimeSpan timeout)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (true)
        {
            if (_process.HasExited)
                Assert.Fail($"opentracker exited with {_process.ExitCode}: {Output}");
            try
            {
                using var probe = new TcpClient();
                await probe.ConnectAsync(IPAddress.Loopback, Port);
                return;
            }
            catch (SocketException) when (DateTime.UtcNow < deadline)
            {
                await Task.Delay(20);
            }
        }
    }

    private static int FreePortForTcpAndUdp()
    {
        for (var attempt = 0; attempt < 20; attempt++)
        {
            var listener = new TcpListener(IPAddress.Loopback, 0);
            listener.Start();
            var port = ((IPEndPoint)listener.LocalEndpoint).Port;
            try
            {
                using var udp = new UdpClient(new IPEndPoint(IPAddress.Loopback, port));
                return port;
            }
            catch (SocketException)
            {
                // Taken for UDP: try another.
            }
            finally
            {
                listener.Stop();
            }
        }
        throw new InvalidOperationException("no port free for both TCP and UDP");
    }

    public void Dispose()
    {
        try
        {
            if (!_process.HasExited)
            {
                _process.Kill();
                _process.WaitForExit(5000);
            }
        }
        catch (InvalidOperationException)
        {
        }
        _process.Dispose();
        try
        {
            Directory.Delete(_directory, recursive: true);
        }
        catch (IOException)
        {
        }
    }
}
