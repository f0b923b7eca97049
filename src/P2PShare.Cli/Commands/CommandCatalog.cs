using System.CommandLine;

namespace P2PShare.Cli.Commands;

/// <summary>Every top-level command. Add one line per command.</summary>
internal static class CommandCatalog
{
    public static IEnumerable<Command> All()
    {
        yield return InfoCommand.Create();
        yield return CreateCommand.Create();
        yield return DownloadCommand.Create();
        yield return SeedCommand.Create();
        yield return NativeCommand.Create();
        yield return VerifyCommand.Create();
        yield return AnnounceCommand.Create();
        yield return DhtCommand.Create();
        yield return Daemon.DaemonCommand.Create();
    }
}
