using SharpFuzz;

namespace P2PShare.Fuzz;

/// <summary>
/// The fuzz driver. <c>P2PShare.Fuzz --list</c> names the targets; <c>P2PShare.Fuzz TARGET</c> is what afl-fuzz runs
/// (SharpFuzz's fork server, the target in a child process so a crash or hang does not end the session);
/// <c>P2PShare.Fuzz TARGET --run PATH...</c> replays files or folders of inputs in-process (triage, regression) and
/// exits 1 on the first crash with its stack trace. scripts/fuzz drives all three.
/// </summary>
internal static class Program
{
    private const int MaxInputBytes = 1 << 20;

    /// <summary>SharpFuzz's trace map size (AFL's classic 64 KiB).</summary>
    private const int TraceMapBytes = 1 << 16;

    private static int Main(string[] args)
    {
        if (args.Length == 1 && args[0] == "--list")
        {
            foreach (var parser in FuzzParsers.All)
                Console.WriteLine($"{parser.Name}\t{parser.Reads}");
            return 0;
        }
        if (args.Length == 2 && args[0] == "--make-seeds")
        {
            // The state-file targets' seed corpora, written by the client's own writers (fuzz/corpus/<target>/).
            Targets.StateFileSeeds.WriteAsync(args[1], CancellationToken.None).GetAwaiter().GetResult();
            return 0;
        }
        if (args.Length == 0 || args[0].StartsWith('-'))
            return Usage();
        var target = FuzzParsers.Find(args[0]);
        if (target is null)
        {
            Console.Error.WriteLine($"unknown target '{args[0]}' (see --list)");
            return 2;
        }
        if (args.Length == 1)
        {
            Fuzzer.OutOfProcess.Run(stream => target.Run(ReadInput(stream)));
            return 0;
        }
        if (args[1] != "--run" || args.Length < 3)
            return Usage();
        GiveTheInstrumentationAMap();
        return Replay(target, args[2..]);
    }

    /// <summary>
    /// An instrumented P2PShare.Core writes every branch it takes into SharpFuzz's trace map, which afl-fuzz supplies;
    /// replaying outside afl-fuzz, the map is a private block (harmless for the normal, uninstrumented build).
    /// </summary>
    private static unsafe void GiveTheInstrumentationAMap()
    {
        if (SharpFuzz.Common.Trace.SharedMem == null)
            SharpFuzz.Common.Trace.SharedMem = (byte*)System.Runtime.InteropServices.NativeMemory.AllocZeroed(TraceMapBytes);
    }

    private static int Usage()
    {
        Console.Error.WriteLine("usage: P2PShare.Fuzz --list | TARGET | TARGET --run FILE_OR_DIR... | --make-seeds DIR");
        return 2;
    }

    private static byte[] ReadInput(Stream stream)
    {
        using var copy = new MemoryStream();
        var buffer = new byte[64 * 1024];
        int read;
        while (copy.Length < MaxInputBytes && (read = stream.Read(buffer, 0, buffer.Length)) > 0)
            copy.Write(buffer, 0, read);
        return copy.ToArray();
    }

    private static int Replay(FuzzParser target, IEnumerable<string> paths)
    {
        var files = paths.SelectMany(path => Directory.Exists(path)
            ? Directory.GetFiles(path).Order(StringComparer.Ordinal)
            : (IEnumerable<string>)[path]).ToList();
        foreach (var file in files)
        {
            var input = File.ReadAllBytes(file);
            try
            {
                target.Run(input);
            }
            catch (Exception error)
            {
                Console.WriteLine($"CRASH {target.Name} {file}: {error.GetType().FullName}: {error.Message}");
                Console.WriteLine($"input (base64): {Convert.ToBase64String(input)}");
                Console.WriteLine(error);
                return 1;
            }
        }
        Console.WriteLine($"{target.Name}: {files.Count} inputs, no crash");
        return 0;
    }
}
