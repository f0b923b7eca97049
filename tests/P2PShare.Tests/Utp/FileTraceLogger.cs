using Microsoft.Extensions.Logging;

namespace P2PShare.Tests.Utp;

/// <summary>Debugging aid: every log line with a timestamp into a file.</summary>
internal sealed class FileTraceLogger(string path) : ILogger
{
    private readonly StreamWriter _writer = new(path) { AutoFlush = true };

    public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

    public bool IsEnabled(LogLevel logLevel) => true;

    public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
    {
        lock (_writer)
            _writer.WriteLine($"{DateTime.UtcNow:HH:mm:ss.ffffff} {formatter(state, exception)}");
    }
}
