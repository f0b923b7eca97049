namespace P2PShare.Protocol.Native;

/// <summary>One line of the native JSON protocol (see docs/native-protocol.md).</summary>
internal abstract record NativeMessage;
