using System.Diagnostics;
using System.Text;
using System.Text.RegularExpressions;
using P2PShare.Tests.Support;

namespace P2PShare.Tests.Native;

/// <summary>A child process (our built exe or the reference node) whose output is captured; killed by PID on dispose.</summary>
internal sealed partial class NativeProcess : IDisposable
{
    private readonly Process _process;
    private readonly StringBuilder _output = new();

    private NativeProcess(ProcessStartInfo start)
    {
        start.RedirectStandardOutput = true;
        start.RedirectStandardError = true;
        start.UseShellExecute = false;
        _process = new Process { StartInfo = start };
        _process.OutputDataReceived += (_, e) => Append(e.Data);
        _process.ErrorDataReceived += (_, e) => Append(e.Data);
        _process.Start();
        _process.BeginOutputReadLine();
        _process.BeginErrorReadLine();
    }

    public int Id => _process.Id;

    public bool HasExited => _process.HasExited;

    public int ExitCode => _process.ExitCode;

    public string Output
    {
        get
        {
            lock (_output)
                return _output.ToString();
        }
    }

    public static NativeProcess StartP2PShare(string logFile, params string[] arguments)
    {
        var command = P2PShareClient.CliCommand;
        var start = new ProcessStartInfo(command[0]);
        foreach (var part in command.Skip(1))
            start.ArgumentList.Add(part);
        start.ArgumentList.Add("--log-file");
        start.ArgumentList.Add(logFile);
        foreach (var argument in arguments)
            start.ArgumentList.Add(argument);
        return new NativeProcess(start);
    }

    public static NativeProcess Start(string program, params string[] arguments)
    {
        var start = new ProcessStartInfo(program);
        foreach (var argument in arguments)
            start.ArgumentList.Add(argument);
        return new NativeProcess(start);
    }

    /// <summary>Waits for the listening port the program prints at start.</summary>
    public async Task<int> WaitForPortAsync()
    {
        var port = 0;
        await NativeTestSupport.WaitUntilAsync(() =>
        {
            var match = PortPattern().Match(Output);
            if (match.Success)
                port = int.Parse(match.Groups[1].Value);
            if (HasExited && !match.Success)
                Assert.Fail($"process exited early: {Output}");
            return match.Success;
        }, "the listening port");
        return port;
    }

    /// <summary>SIGKILL: no chance to save anything.</summary>
    public void KillHard()
    {
        if (_process.HasExited)
            return;
        _process.Kill(entireProcessTree: true);
        _process.WaitForExit(10_000);
    }

    public void Dispose()
    {
        try
        {
            KillHard();
        }
        catch (InvalidOperationException)
        {
        }
        _process.Dispose();
    }

    private void Append(string? line)
    {
        if (line is null)
            return;
        lock (_output)
            _output.AppendLine(line);
    }

    [GeneratedRegex(@"listening on (?:port )?(\d+)")]
    private static partial Regex PortPattern();
}
