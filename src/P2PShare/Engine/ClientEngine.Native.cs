using Microsoft.Extensions.Logging;
using P2PShare.Engine.Native;

namespace P2PShare.Engine;

/// <summary>The native JSON protocol in the engine: one listener, whose peers go to the torrents that serve their file.</summary>
internal sealed partial class ClientEngine
{
    private NativeGateway? _native;

    /// <summary>The native protocol's listener; null unless <see cref="EngineSettings.NativePort"/> is set.</summary>
    public NativeGateway? Native => _native;

    /// <summary>The native protocol's port; null when off.</summary>
    public int? NativePort => _native?.Port;

    private void StartNative(ILoggerFactory loggers)
    {
        if (_settings.NativePort is not { } port)
            return;
        _native = NativeGateway.Start(_settings.ListenAddress, port, () => _torrents.Values.OfType<INativePeerSink>(),
            _settings.HandshakeTimeout, loggers.CreateLogger<NativeGateway>());
        Resources.Native = _native;
    }

    private async ValueTask StopNativeAsync()
    {
        if (_native is not null)
            await _native.DisposeAsync().ConfigureAwait(false);
    }
}
