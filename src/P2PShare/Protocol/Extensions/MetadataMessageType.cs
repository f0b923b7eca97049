namespace P2PShare.Protocol.Extensions;

/// <summary>BEP 9 'msg_type'.</summary>
internal enum MetadataMessageType
{
    Request = 0,
    Data = 1,
    Reject = 2,
}
