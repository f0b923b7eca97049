using System.Reflection;
using P2PShare.Bencode;
using P2PShare.Metainfo.Hashing;

namespace P2PShare.Metainfo;

/// <summary>Makes BitTorrent v1 .torrent files from a file or a directory.</summary>
internal static partial class TorrentCreator
{
    public static string DefaultCreatedBy { get; } = "P2PShare/" + ProductVersion();

    /// <summary>Finds the files and the piece length; nothing is read yet.</summary>
    public static TorrentPlan Plan(string sourcePath, TorrentCreationOptions options, CancellationToken cancellationToken = default)
    {
        var full = Path.GetFullPath(sourcePath).TrimEnd(Path.DirectorySeparatorChar);
        if (full.Length == 0)
            full = "/";
        var warnings = new List<string>();
        var name = Path.GetFileName(full);
        if (name.Length == 0)
            throw new IOException($"'{sourcePath}' has no name to give the torrent");

        TorrentPlan plan;
        if (Directory.Exists(full))
        {
            var files = SourceScanner.Scan(full, options.ExcludePath, warnings, cancellationToken);
            if (files.Count == 0)
                throw new IOException($"'{sourcePath}' contains no files");
            plan = new TorrentPlan(name, true, files, 0, warnings);
        }
        else if (File.Exists(full))
        {
            var info = new FileInfo(full);
            plan = new TorrentPlan(name, false, [new PlannedFile(full, [name], info.Length)], 0, warnings);
        }
        else
        {
            throw new FileNotFoundException($"not found: '{sourcePath}'", sourcePath);
        }

        foreach (var file in plan.Files)
            foreach (var segment in file.PathSegments)
                PathSanitizer.CheckComponent(new BString(segment), $"'{string.Join('/', file.PathSegments)}'");
        if (plan.TotalLength == 0)
            throw new IOException($"'{sourcePath}' has no data (all files are empty); a torrent needs at least one byte");
        if (options.PieceLength is { } requested && PieceSizeChooser.Validate(requested) is { } problem)
            throw new ArgumentException(problem, nameof(options));
        var pieceLength = options.PieceLength ?? PieceSizeChooser.Choose(plan.TotalLength);
        if ((plan.TotalLength + pieceLength - 1) / pieceLength > int.MaxValue / Torrent.PieceHashLength)
            throw new IOException("too much data for this piece size");
        return plan with { PieceLength = pieceLength };
    }

    /// <summary>Hashes the planned files and returns the bencoded torrent.</summary>
    public static async Task<byte[]> CreateAsync(
        TorrentPlan plan, TorrentCreationOptions options, IProgress<long>? bytesHashed, CancellationToken cancellationToken,
        int? degreeOfParallelism = null)
    {
        if (options.Version != TorrentVersion.V1)
            return await CreateV2Async(plan, options, bytesHashed, cancellationToken, degreeOfParallelism).ConfigureAwait(false);
        var pieces = new byte[plan.PieceCount * Torrent.PieceHashLength];
        var sources = plan.Files.Select(f => new HashSource(f.FullPath, f.Length)).ToList();
        await ParallelPieceHasher.HashAsync(sources, plan.PieceLength,
            (index, hash) => hash.CopyTo(pieces.AsSpan(index * Torrent.PieceHashLength, Torrent.PieceHashLength)),
            bytesHashed, tolerateMissing: false, cancellationToken, degreeOfParallelism).ConfigureAwait(false);
        return Encode(plan, options, pieces);
    }

    internal static byte[] Encode(TorrentPlan plan, TorrentCreationOptions options, byte[] pieces)
    {
        var info = new BDictionary
        {
            ["name"] = new BString(plan.Name),
            ["piece length"] = new BInteger(plan.PieceLength),
            ["pieces"] = new BString(pieces),
        };
        if (plan.IsMultiFile)
        {
            info["files"] = new BList(plan.Files.Select(f => (BValue)new BDictionary
            {
                ["length"] = new BInteger(f.Length),
                ["path"] = new BList(f.PathSegments.Select(s => (BValue)new BString(s))),
            }));
        }
        else
        {
            info["length"] = new BInteger(plan.Files[0].Length);
        }
        return EncodeTop(info, options, null);
    }

    /// <summary>The whole torrent around an info dictionary: the private flag, trackers, web seeds, comment, dates.</summary>
    private static byte[] EncodeTop(BDictionary info, TorrentCreationOptions options, BDictionary? pieceLayers)
    {
        if (options.IsPrivate)
            info["private"] = new BInteger(1);

        var top = new BDictionary { ["info"] = info };
        if (pieceLayers is { Count: > 0 })
            top["piece layers"] = pieceLayers;
        var trackers = options.Trackers.Select(t => t.Trim()).Where(t => t.Length > 0).Distinct(StringComparer.Ordinal).ToList();
        if (trackers.Count > 0)
            top["announce"] = new BString(trackers[0]);
        if (trackers.Count > 1)
            top["announce-list"] = new BList(trackers.Select(t => (BValue)new BList([new BString(t)])));
        var webSeeds = options.WebSeeds.Where(w => w.Length > 0).ToList();
        if (webSeeds.Count > 0)
            top["url-list"] = new BList(webSeeds.Select(w => (BValue)new BString(w)));
        if (!string.IsNullOrEmpty(options.Comment))
            top["comment"] = new BString(options.Comment);
        top["created by"] = new BString(options.CreatedBy ?? DefaultCreatedBy);
        if (options.CreationDate is { } date)
            top["creation date"] = new BInteger(date.ToUnixTimeSeconds());
        return BencodeEncoder.Encode(top);
    }

    /// <summary>
    /// Writes the torrent through a temporary file renamed into place, so a reader never sees half a torrent.
    /// An existing file is replaced only with <paramref name="overwrite"/>.
    /// </summary>
    public static async Task WriteFileAsync(byte[] torrent, string outputPath, bool overwrite, CancellationToken cancellationToken)
    {
        var full = Path.GetFullPath(outputPath);
        if (!overwrite && (File.Exists(full) || Directory.Exists(full)))
            throw new IOException($"'{outputPath}' already exists (use --force to overwrite it)");
        var directory = Path.GetDirectoryName(full)!;
        var temporary = Path.Combine(directory, $".{Path.GetFileName(full)}.{Guid.NewGuid():N}.tmp");
        try
        {
            await using (var stream = new FileStream(temporary, FileMode.CreateNew, FileAccess.Write, FileShare.None, 4096, FileOptions.Asynchronous))
            {
                await stream.WriteAsync(torrent, cancellationToken).ConfigureAwait(false);
                stream.Flush(flushToDisk: true);
            }
            File.Move(temporary, full, overwrite);
        }
        catch (IOException) when (!overwrite && File.Exists(full))
        {
            throw new IOException($"'{outputPath}' already exists (use --force to overwrite it)");
        }
        finally
        {
            if (File.Exists(temporary))
                File.Delete(temporary);
        }
    }

    private static string ProductVersion()
    {
        var assembly = typeof(TorrentCreator).Assembly;
        var version = assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion
            ?? assembly.GetName().Version?.ToString(3) ?? "0.0.0";
        var plus = version.IndexOf('+');
        return plus < 0 ? version : version[..plus];
    }
}
