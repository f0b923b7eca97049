using System.Diagnostics;
using System.Security.Cryptography;
using P2PShare.Bencode;
using P2PShare.Metainfo;

namespace P2PShare.Tests.Storage;

/// <summary>A file of a test torrent: its content (zeros for a padding file).</summary>
internal sealed record TestFile(string Path, byte[] Content, bool IsPadding = false)
{
    public static TestFile Padding(int index, int length) => new($".pad/{length}-{index}", new byte[length], IsPadding: true);
}

/// <summary>Builds real torrents (bencoded, then parsed) with correct SHA-1 piece hashes over given content.</summary>
internal static class TestTorrents
{
    public static (Torrent Torrent, byte[] Data) Build(string name, int pieceLength, params TestFile[] files) =>
        Build(name, pieceLength, multiFile: true, files);

    public static (Torrent Torrent, byte[] Data) Single(string name, int pieceLength, byte[] content) =>
        Build(name, pieceLength, multiFile: false, [new TestFile(name, content)]);

    private static (Torrent Torrent, byte[] Data) Build(string name, int pieceLength, bool multiFile, TestFile[] files)
    {
        var data = files.SelectMany(f => f.Content).ToArray();
        var pieces = new List<byte>();
        for (var offset = 0; offset < data.Length; offset += pieceLength)
            pieces.AddRange(SHA1.HashData(data.AsSpan(offset, Math.Min(pieceLength, data.Length - offset))));

        var info = new BDictionary
        {
            ["name"] = new BString(name),
            ["piece length"] = new BInteger(pieceLength),
            ["pieces"] = new BString(pieces.ToArray()),
        };
        if (multiFile)
        {
            var list = new BList();
            foreach (var file in files)
            {
                var entry = new BDictionary
                {
                    ["length"] = new BInteger(file.Content.Length),
                    ["path"] = new BList(file.Path.Split('/').Select(s => (BValue)new BString(s))),
                };
                if (file.IsPadding)
                    entry["attr"] = new BString("p");
                list.Add(entry);
            }
            info["files"] = list;
        }
        else
        {
            info["length"] = new BInteger(data.Length);
        }
        var root = new BDictionary { ["announce"] = new BString("http://127.0.0.1:1/announce"), ["info"] = info };
        return (TorrentParser.Parse(BencodeEncoder.Encode(root)), data);
    }

    public static byte[] RandomBytes(int seed, int length)
    {
        var bytes = new byte[length];
        new Random(seed).NextBytes(bytes);
        return bytes;
    }

    /// <summary>Writes the torrent's content into DIR the way a finished download would be.</summary>
    public static void WriteContent(Torrent torrent, string directory, TestFile[] files)
    {
        var root = Path.Combine(directory, torrent.Name);
        for (var i = 0; i < files.Length; i++)
        {
            if (files[i].IsPadding)
                continue;
            var path = torrent.IsMultiFile ? Path.Combine([root, .. files[i].Path.Split('/')]) : root;
            Directory.CreateDirectory(Path.GetDirectoryName(path)!);
            File.WriteAllBytes(path, files[i].Content);
        }
    }
}

/// <summary>A fresh temporary directory per test.</summary>
internal sealed class TempDirectory : IDisposable
{
    public TempDirectory() => Directory.CreateDirectory(Path);

    public string Path { get; } = System.IO.Path.Combine(System.IO.Path.GetTempPath(), "p2pshare-storage-" + Guid.NewGuid().ToString("N"));

    public void Dispose()
    {
        if (Directory.Exists(Path))
            Directory.Delete(Path, recursive: true);
    }
}

/// <summary>A small tmpfs mounted for a test (needs root and mount rights; tests skip honestly without them).</summary>
internal sealed class TmpfsMount : IDisposable
{
    private TmpfsMount(string path) => Path = path;

    public string Path { get; }

    public static TmpfsMount? TryMount(string path, string options, out string whyNot)
    {
        Directory.CreateDirectory(path);
        whyNot = "";
        if (!OperatingSystem.IsLinux())
        {
            whyNot = "tmpfs needs Linux";
            return null;
        }
        var (code, output) = Run("mount", "-t", "tmpfs", "-o", options, "tmpfs", path);
        if (code != 0)
        {
            whyNot = $"cannot mount a tmpfs here (mount exit {code}: {output.Trim()})";
            return null;
        }
        return new TmpfsMount(path);
    }

    /// <summary>Makes the mounted file system read-only, keeping its files.</summary>
    public void RemountReadOnly()
    {
        var (code, output) = Run("mount", "-o", "remount,ro", Path);
        if (code != 0)
            throw new InvalidOperationException($"remount read-only failed: {output}");
    }

    /// <summary>Remounts with new options (e.g. "size=8m" to free space), keeping its files.</summary>
    public void Remount(string options)
    {
        var (code, output) = Run("mount", "-o", "remount," + options, Path);
        if (code != 0)
            throw new InvalidOperationException($"remount {options} failed: {output}");
    }

    public void Dispose() => Run("umount", Path);

    private static (int Code, string Output) Run(string program, params string[] arguments)
    {
        var start = new ProcessStartInfo(program) { RedirectStandardError = true, RedirectStandardOutput = true };
        foreach (var argument in arguments)
            start.ArgumentList.Add(argument);
        try
        {
            using var process = Process.Start(start)!;
            var output = process.StandardError.ReadToEnd() + process.StandardOutput.ReadToEnd();
            if (!process.WaitForExit(10_000))
            {
                process.Kill();
                return (-1, "timed out");
            }
            return (process.ExitCode, output);
        }
        catch (System.ComponentModel.Win32Exception error)
        {
            return (-1, error.Message);
        }
    }
}
