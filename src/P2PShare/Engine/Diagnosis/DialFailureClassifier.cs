using System.Net.Sockets;
using P2PShare.Networking.Encryption;
using P2PShare.Protocol.Wire;

namespace P2PShare.Engine.Diagnosis;

/// <summary>Sorts the exception a failed dial ended with into a <see cref="DialFailureKind"/>.</summary>
internal static class DialFailureClassifier
{
    public static DialFailureKind Classify(Exception error)
    {
        // Polly and async plumbing may wrap the real cause.
        while (error is AggregateException { InnerException: { } inner })
            error = inner;
        return error switch
        {
            TimeoutException => DialFailureKind.TimedOut,
            OperationCanceledException => DialFailureKind.TimedOut,
            MseHandshakeException => DialFailureKind.EncryptionMismatch,
            PeerProtocolException p when p.Message.Contains("encryption", StringComparison.OrdinalIgnoreCase) => DialFailureKind.EncryptionMismatch,
            PeerProtocolException => DialFailureKind.Handshake,
            SocketException s => FromSocket(s.SocketErrorCode),
            IOException { InnerException: SocketException s } => FromSocket(s.SocketErrorCode),
            _ => DialFailureKind.Transport,
        };
    }

    private static DialFailureKind FromSocket(SocketError code) => code switch
    {
        SocketError.ConnectionRefused => DialFailureKind.Refused,
        SocketError.TimedOut => DialFailureKind.TimedOut,
        SocketError.HostUnreachable or SocketError.NetworkUnreachable or SocketError.HostNotFound or SocketError.AddressNotAvailable or SocketError.NetworkDown
            => DialFailureKind.Unreachable,
        _ => DialFailureKind.Transport,
    };
}
