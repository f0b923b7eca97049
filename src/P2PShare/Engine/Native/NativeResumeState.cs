using P2PShare.Protocol;
using P2PShare.Protocol.Native;

namespace P2PShare.Engine.Native;

/// <summary>What a partial download needs to continue: the file it belongs to and the verified pieces.</summary>
internal sealed record NativeResumeState(NativeFileDescriptor File, Bitfield Pieces);
