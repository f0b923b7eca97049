namespace P2PShare.Protocol.PortMapping;

/// <summary>NAT-PMP result codes (RFC 6886 section 3.5).</summary>
internal enum NatPmpResult : ushort
{
    Success = 0,
    UnsupportedVersion = 1,
    NotAuthorized = 2,
    NetworkFailure = 3,
    OutOfResources = 4,
    UnsupportedOpcode = 5,
}
