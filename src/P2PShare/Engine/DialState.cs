namespace P2PShare.Engine;

/// <summary>
/// Where one known address stands in dialling, whatever protocol is spoken over it: being dialled, connected, when it
/// may be dialled next, how many dials failed in a row, and whether it was given up. Guarded by its owner's lock.
/// </summary>
internal class DialState
{
    public bool IsConnecting { get; set; }

    public bool IsConnected { get; set; }

    public bool GivenUp { get; set; }

    /// <summary>Not dialled before this timestamp (<see cref="TimeProvider.GetTimestamp"/>).</summary>
    public long NotBeforeTicks { get; set; }

    /// <summary>Dials that failed in a row; a success resets it.</summary>
    public int DialFailures { get; set; }

    public long LastFailureTicks { get; set; }

    /// <summary>Neither connected, being dialled nor given up.</summary>
    public bool IsIdle => !IsConnected && !IsConnecting && !GivenUp;
}
