using System.CommandLine;

namespace P2PShare.Cli.Commands;

/// <summary>The file-selection and order options of 'download' and 'stream'.</summary>
internal sealed class SelectionOptions
{
    public Option<string?> Select { get; } = new("--select") { Description = "Download only these files, by the numbers 'info' prints (from 1): e.g. 1,3-5." };

    public Option<string[]> Include { get; } = new("--include") { Description = "Download only files whose path in the torrent matches this glob ('*', '**', '?'); repeat for more.", AllowMultipleArgumentsPerToken = false };

    public Option<string[]> Exclude { get; } = new("--exclude") { Description = "Do not download files whose path matches this glob; repeat for more.", AllowMultipleArgumentsPerToken = false };

    public Option<bool> Sequential { get; } = new("--sequential") { Description = "Download pieces in order (first and last piece of each file early), to play media while it downloads." };

    public void AddTo(Command command, bool sequential = true)
    {
        command.Options.Add(Select);
        command.Options.Add(Include);
        command.Options.Add(Exclude);
        if (sequential)
            command.Options.Add(Sequential);
    }

    public FileSelection Read(ParseResult parse) => new(parse.GetValue(Select), parse.GetValue(Include) ?? [], parse.GetValue(Exclude) ?? []);
}
