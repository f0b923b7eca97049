namespace P2PShare.Cli;

/// <summary>A problem with what the user asked for: reported as one line, exit code 2.</summary>
internal sealed class UserErrorException(string message) : Exception(message);
