using P2PShare.Cli;

return await CliApplication.RunAsync(args);
