namespace P2PShare.Tests.Support;

/// <summary>How one connection to a <see cref="MisbehavingSeeder"/> went.</summary>
public sealed record MisbehavingSeederConnection(int Number, TimeSpan AcceptedAt, TimeSpan? EndedAt, string? EndReason, bool ClosedByRemote,
    int RequestsReceived, int BlocksSent, long JunkBytesWritten, int MetadataRequestsReceived = 0);
