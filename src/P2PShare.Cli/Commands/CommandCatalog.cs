using System.CommandLine;

namespace P2PShare.Cli.Commands;

/// <summary>Every top-level command. Add one line per command.</summary>
internal static class CommandCatalog
{
    public static IEnumerable<Command> All()
    {
        yield return AnnounceCommand.Create();
    }
}
