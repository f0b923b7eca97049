using System.CommandLine;
using System.Net;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using P2PShare.Cli.Rpc;
using P2PShare.Engine;
using P2PShare.Hosting;
using P2PShare.Networking.Encryption;
using Serilog;

namespace P2PShare.Cli.Daemon;

/// <summary>
/// Composes the daemon: settings, the engine and its torrents (restored from the config directory), the RPC, the events
/// stream and the static web UI in one ASP.NET Core host; runs until SIGTERM (or session-close), then stops every
/// torrent cleanly (resume data saved, trackers told) before exiting.
/// </summary>
internal static class DaemonApplication
{
    public static async Task<int> RunAsync(ParseResult parse, CancellationToken cancellationToken)
    {
        var verbose = parse.GetValue(GlobalOptions.Verbose);
        Serilog.Core.Logger serilog;
        try
        {
            serilog = LogSettings.From(parse, Configuration.CliConfiguration.Current).CreateLogger();
        }
        catch (UserErrorException error)
        {
            Console.Error.WriteLine($"p2pshare: error: {error.Message}");
            return ExitCodes.BadInput;
        }
        try
        {
            var configDirectory = Path.GetFullPath(parse.GetValue(DaemonCommand.ConfigDir)
                ?? Environment.GetEnvironmentVariable(DaemonConfiguration.EnvironmentPrefix + "ConfigDir") ?? DaemonCommand.DefaultConfigDir());
            var (settings, settingsPath) = await DaemonConfiguration.LoadAsync(configDirectory, DaemonCommand.Overrides(parse), cancellationToken, Configuration.CliConfiguration.Current.SettingsPath).ConfigureAwait(false);
            return await RunAsync(settings, configDirectory, settingsPath, serilog, cancellationToken).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            return CliHost.ExitOk;
        }
        catch (Exception error)
        {
            serilog.Error(error, "Daemon failed");
            Console.Error.WriteLine($"p2pshare: error: {ErrorReporter.OneLine(error)}");
            if (verbose)
                Console.Error.WriteLine(error);
            return ErrorReporter.ExitCodeFor(error);
        }
        finally
        {
            await serilog.DisposeAsync().ConfigureAwait(false);
        }
    }

    private static async Task<int> RunAsync(DaemonSettings settings, string configDirectory, string settingsPath, Serilog.Core.Logger serilog, CancellationToken cancellationToken)
    {
        using var loggers = LoggerFactory.Create(logging => logging.AddSerilog(serilog, dispose: false).SetMinimumLevel(Microsoft.Extensions.Logging.LogLevel.Debug));
        var logger = loggers.CreateLogger("P2PShare.Daemon");
        var time = TimeProvider.System;
        var store = new SettingsStore(settingsPath, settings);
        var catalog = new TorrentCatalog(configDirectory);
        await using var engine = ClientEngine.Start(EngineSettingsFor(settings, configDirectory), time, loggers);
        store.Changed += next => engine.ApplySettings(engine.Settings with
        {
            MaxDownloadRate = next.SpeedLimitDownEnabled ? next.SpeedLimitDown * 1024 : 0,
            MaxUploadRate = next.SpeedLimitUpEnabled ? next.SpeedLimitUp * 1024 : 0,
            MaxConnections = next.PeerLimitGlobal,
        });
        var service = new TorrentService(new TorrentHost(engine, loggers, time), catalog, store, new EngineFileSelection(), loggers, time);
        await using (service.ConfigureAwait(false))
        {
            await service.RestoreAsync(cancellationToken).ConfigureAwait(false);
            await using var app = Build(settings, service, engine, serilog, time);
            await app.StartAsync(cancellationToken).ConfigureAwait(false);
            var line = $"p2pshare daemon: RPC on http://{Authority(settings)}/transmission/rpc, peers on port {engine.Port}, config in {configDirectory}";
            Console.Out.WriteLine(line);
            logger.LogInformation("{Line}", line);
            await app.WaitForShutdownAsync(cancellationToken).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
            logger.LogInformation("Shutting down: stopping {Count} torrents", service.Torrents.Count);
            await app.StopAsync(CancellationToken.None).ConfigureAwait(false);
        }
        logger.LogInformation("Daemon stopped");
        return CliHost.ExitOk;
    }

    private static WebApplication Build(DaemonSettings settings, TorrentService service, ClientEngine engine, Serilog.Core.Logger serilog, TimeProvider time)
    {
        var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions
        {
            ContentRootPath = AppContext.BaseDirectory,
            WebRootPath = Path.Combine(AppContext.BaseDirectory, "wwwroot"),
            Args = [],
        });
        builder.Logging.ClearProviders();
        builder.Logging.AddSerilog(serilog, dispose: false);
        // Per request lines would flood the log (a UI polls); Serilog's provider has its own filter, so it is named here.
        builder.Logging.AddFilter<Serilog.Extensions.Logging.SerilogLoggerProvider>("Microsoft.AspNetCore", Microsoft.Extensions.Logging.LogLevel.Warning);
        builder.Services.AddSystemd();
        builder.WebHost.ConfigureKestrel(kestrel =>
        {
            kestrel.AddServerHeader = false;
            kestrel.Limits.MaxRequestBodySize = RpcEndpoint.MaxBodyBytes;
            kestrel.Listen(IPAddress.Parse(settings.RpcBind), settings.RpcPort);
        });
        builder.Services.AddSingleton(time);
        builder.Services.AddSingleton(service);
        builder.Services.AddSingleton(engine);
        builder.Services.AddSingleton(settings);
        builder.Services.AddSingleton<RpcSessionId>();
        builder.Services.AddSingleton<RpcAccess>();
        builder.Services.AddSingleton<TorrentGetMethod>();
        builder.Services.AddSingleton<TorrentActions>();
        builder.Services.AddSingleton<SessionMethods>();
        builder.Services.AddSingleton<RpcMethods>();
        builder.Services.AddSingleton<RpcEndpoint>();
        builder.Services.AddSingleton<EventsEndpoint>();
        builder.Services.AddSingleton<WatchDirectory>();
        builder.Services.AddHostedService<DaemonLoop>();
        var app = builder.Build();
        var access = app.Services.GetRequiredService<RpcAccess>();
        app.Use((context, next) => access.InvokeAsync(context, next));
        var rpc = app.Services.GetRequiredService<RpcEndpoint>();
        // Routing matches the trailing slash transmission-remote sends as well.
        app.MapMethods("/transmission/rpc", [HttpMethods.Get, HttpMethods.Post], rpc.HandleAsync);
        app.MapGet("/api/events", app.Services.GetRequiredService<EventsEndpoint>().HandleAsync);
        WebUi.SessionIdEndpoint.Map(app);
        app.UseDefaultFiles();
        app.UseStaticFiles();
        return app;
    }

    internal static EngineSettings EngineSettingsFor(DaemonSettings settings, string configDirectory) => new EngineSettings
    {
        ListenAddress = IPAddress.Parse(settings.PeerBind),
        Port = settings.Port,
        NativePort = settings.NativePort,
        MaxConnections = settings.PeerLimitGlobal,
        MaxDownloadRate = settings.SpeedLimitDownEnabled ? settings.SpeedLimitDown * 1024 : 0,
        MaxUploadRate = settings.SpeedLimitUpEnabled ? settings.SpeedLimitUp * 1024 : 0,
        Dht = settings.DhtEnabled,
        DhtStateFile = Path.Combine(configDirectory, "dht.dat"),
        Encryption = settings.Encryption switch
        {
            "require" => EncryptionPolicy.Require,
            "disable" => EncryptionPolicy.Disable,
            _ => EncryptionPolicy.Prefer,
        },
    }.Validate();

    private static string Authority(DaemonSettings settings) =>
        IPAddress.Parse(settings.RpcBind).AddressFamily == System.Net.Sockets.AddressFamily.InterNetworkV6 ? $"[{settings.RpcBind}]:{settings.RpcPort}" : $"{settings.RpcBind}:{settings.RpcPort}";
}
