namespace P2PShare.Protocol.PortMapping;

/// <summary>A UPnP action the router refused: its errorCode (e.g. 718 conflict, 725 only permanent leases) and description.</summary>
internal sealed class UpnpSoapFault(int errorCode, string description) : Exception($"UPnP error {errorCode}: {description}")
{
    public int ErrorCode { get; } = errorCode;

    public string Description { get; } = description;
}
