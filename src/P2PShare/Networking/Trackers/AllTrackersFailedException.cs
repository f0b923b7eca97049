using P2PShare.Protocol.Tracker;

namespace P2PShare.Networking.Trackers;

/// <summary>Every tracker of every tier failed in one announce round.</summary>
internal sealed class AllTrackersFailedException(string message) : TrackerException(message);
