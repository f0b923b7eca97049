using P2PShare.Metainfo;
using Serilog.Events;
using Serilog.Formatting;
using Serilog.Formatting.Display;

namespace P2PShare.Cli;

/// <summary>
/// Renders a log event with an output template, then replaces every terminal control character in it (except the
/// newlines that end the line and separate an exception's stack frames). Names from torrents, peers and trackers
/// reach log properties and exception messages; this is the one place where none of them can put an escape
/// sequence into a log file or a terminal.
/// </summary>
internal sealed class SafeTextFormatter(string outputTemplate) : ITextFormatter
{
    public const string FileTemplate = "{Timestamp:yyyy-MM-dd HH:mm:ss.fff zzz} [{Level:u3}] ({ProcessId}) {Message:lj}{NewLine}{Exception}";
    public const string ConsoleTemplate = "[{Timestamp:HH:mm:ss} {Level:u3}] {Message:lj}{NewLine}{Exception}";

    private readonly MessageTemplateTextFormatter _inner = new(outputTemplate);

    public void Format(LogEvent logEvent, TextWriter output)
    {
        using var buffer = new StringWriter();
        _inner.Format(logEvent, buffer);
        var text = buffer.ToString();
        foreach (var c in text)
            output.Write(c == '\n' || !DisplayText.IsUnsafe(c) ? c : ' ');
    }
}
