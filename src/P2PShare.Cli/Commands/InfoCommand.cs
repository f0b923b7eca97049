using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using P2PShare.Cli.Output;
using P2PShare.Metainfo;

namespace P2PShare.Cli.Commands;

/// <summary>'p2pshare info FILE.torrent|MAGNET': what a torrent or magnet link contains.</summary>
internal static class InfoCommand
{
    public static Command Create()
    {
        var source = new Argument<string>("torrent") { Description = "A .torrent file or a magnet link." };
        var json = new Option<bool>("--json") { Description = "Print machine-readable JSON instead of text." };
        var command = new Command("info", "Show what a .torrent file or magnet link contains.") { source, json };
        command.SetAction((parse, cancellationToken) => CliHost.RunAsync(parse, cancellationToken, async (_, ct) =>
        {
            var text = parse.GetValue(source)!;
            var asJson = parse.GetValue(json);
            if (MagnetLink.LooksLikeMagnet(text))
            {
                var magnet = MagnetLink.Parse(text);
                Console.Out.Write(asJson ? MagnetJson(magnet) : MagnetText(magnet));
            }
            else
            {
                var torrent = await TorrentParser.LoadAsync(text, ct).ConfigureAwait(false);
                foreach (var warning in torrent.Warnings)
                    Console.Error.WriteLine($"p2pshare: warning: {text}: {warning}");
                Console.Out.Write(asJson ? TorrentJson(torrent) : TorrentText(torrent));
            }
            await Console.Out.FlushAsync(ct).ConfigureAwait(false);
            return CliHost.ExitOk;
        }));
        return command;
    }

    internal static string TorrentText(Torrent torrent)
    {
        var w = new StringWriter(CultureInfo.InvariantCulture) { NewLine = "\n" };
        w.WriteLine($"Name:        {OneLine(torrent.Name)}");
        w.WriteLine($"Info-hash:   {torrent.InfoHash.Hex}");
        w.WriteLine($"             {torrent.InfoHash.Base32} (base32)");
        if (torrent.V2 is { } v2)
            w.WriteLine($"Info-hash v2: {v2.InfoHash.Hex}");
        w.WriteLine($"Version:     {VersionText(torrent.Version)}");
        w.WriteLine($"Total size:  {ByteSize.Format(torrent.TotalLength)} ({torrent.TotalLength} bytes)");
        w.WriteLine($"Pieces:      {torrent.PieceCount} × {ByteSize.Format(torrent.PieceLength)} ({torrent.PieceLength} bytes)");
        w.WriteLine($"Private:     {(torrent.IsPrivate ? "yes" : "no")}");
        if (torrent.Comment is { Length: > 0 } comment)
            w.WriteLine($"Comment:     {OneLine(comment)}");
        if (torrent.CreatedBy is { Length: > 0 } createdBy)
            w.WriteLine($"Created by:  {OneLine(createdBy)}");
        if (torrent.CreationDate is { } date)
            w.WriteLine($"Created on:  {date.UtcDateTime:yyyy-MM-dd HH:mm:ss} UTC");
        w.WriteLine($"Magnet:      {torrent.ToMagnetLink()}");
        w.WriteLine();
        w.WriteLine(torrent.AnnounceTiers.Count == 0 ? "Trackers:    none" : "Trackers:");
        for (var tier = 0; tier < torrent.AnnounceTiers.Count; tier++)
            foreach (var tracker in torrent.AnnounceTiers[tier])
                w.WriteLine($"  tier {tier}: {OneLine(tracker)}");
        if (torrent.WebSeeds.Count > 0)
        {
            w.WriteLine("Web seeds:");
            foreach (var seed in torrent.WebSeeds)
                w.WriteLine($"  {OneLine(seed)}");
        }
        w.WriteLine();
        w.WriteLine($"Files ({torrent.Files.Count(f => !f.IsPadding)}):");
        // Numbered from 1 (padding files skipped): the numbers 'download --select' and 'stream --file' take.
        var number = 0;
        foreach (var file in torrent.Files.Where(f => !f.IsPadding))
        {
            var path = torrent.IsMultiFile ? torrent.Name + "/" + file.DisplayPath : file.DisplayPath;
            w.WriteLine($"{++number,4}  {OneLine(path)}  {ByteSize.Format(file.Length)} ({file.Length} bytes)");
            if (file.PiecesRoot is { } root)
                w.WriteLine($"        pieces root {Convert.ToHexStringLower(root)}");
        }
        return w.ToString();
    }

    private static string VersionText(TorrentVersion version) => version switch
    {
        TorrentVersion.V2 => "v2 (BEP 52)",
        TorrentVersion.Hybrid => "hybrid (v1 + v2)",
        _ => "v1",
    };

    internal static string TorrentJson(Torrent torrent) => WriteJson(writer =>
    {
        writer.WriteString("kind", "torrent");
        writer.WriteString("name", torrent.Name);
        writer.WriteString("infoHash", torrent.InfoHash.Hex);
        writer.WriteString("infoHashBase32", torrent.InfoHash.Base32);
        WriteNullable(writer, "infoHashV2", torrent.V2?.InfoHash.Hex);
        writer.WriteString("version", torrent.Version.ToString().ToLowerInvariant());
        writer.WriteNumber("totalSize", torrent.TotalLength);
        writer.WriteNumber("pieceLength", torrent.PieceLength);
        writer.WriteNumber("pieceCount", torrent.PieceCount);
        writer.WriteBoolean("multiFile", torrent.IsMultiFile);
        writer.WriteBoolean("private", torrent.IsPrivate);
        WriteNullable(writer, "comment", torrent.Comment);
        WriteNullable(writer, "createdBy", torrent.CreatedBy);
        if (torrent.CreationDate is { } date)
        {
            writer.WriteNumber("creationDate", date.ToUnixTimeSeconds());
            writer.WriteString("creationDateIso", date.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture));
        }
        else
        {
            writer.WriteNull("creationDate");
        }
        writer.WriteStartArray("trackerTiers");
        foreach (var tier in torrent.AnnounceTiers)
        {
            writer.WriteStartArray();
            foreach (var tracker in tier)
                writer.WriteStringValue(tracker);
            writer.WriteEndArray();
        }
        writer.WriteEndArray();
        WriteStrings(writer, "webSeeds", torrent.WebSeeds);
        writer.WriteStartArray("files");
        var number = 0;
        foreach (var file in torrent.Files)
        {
            writer.WriteStartObject();
            if (!file.IsPadding)
                writer.WriteNumber("number", ++number);
            writer.WriteString("path", file.DisplayPath);
            WriteStrings(writer, "pathSegments", file.PathSegments);
            writer.WriteNumber("length", file.Length);
            writer.WriteNumber("offset", file.Offset);
            writer.WriteBoolean("padding", file.IsPadding);
            WriteNullable(writer, "piecesRoot", file.PiecesRoot is { } root ? Convert.ToHexStringLower(root) : null);
            writer.WriteEndObject();
        }
        writer.WriteEndArray();
        writer.WriteString("magnet", torrent.ToMagnetLink().ToString());
    });

    internal static string MagnetText(MagnetLink magnet)
    {
        var w = new StringWriter(CultureInfo.InvariantCulture) { NewLine = "\n" };
        w.WriteLine($"Name:        {OneLine(magnet.DisplayName ?? "(none given)")}");
        w.WriteLine($"Info-hash:   {magnet.InfoHash.Hex}");
        w.WriteLine($"             {magnet.InfoHash.Base32} (base32)");
        if (magnet.InfoHashV2 is { } v2)
            w.WriteLine($"Info-hash v2: {v2.Hex}");
        w.WriteLine("(a magnet link: sizes and files are known only after fetching the metadata from peers)");
        w.WriteLine(magnet.Trackers.Count == 0 ? "Trackers:    none" : "Trackers:");
        foreach (var tracker in magnet.Trackers)
            w.WriteLine($"  {OneLine(tracker)}");
        if (magnet.WebSeeds.Count > 0)
        {
            w.WriteLine("Web seeds:");
            foreach (var seed in magnet.WebSeeds)
                w.WriteLine($"  {seed}");
        }
        if (magnet.PeerAddresses.Count > 0)
        {
            w.WriteLine("Peers:");
            foreach (var peer in magnet.PeerAddresses)
                w.WriteLine($"  {peer}");
        }
        return w.ToString();
    }

    internal static string MagnetJson(MagnetLink magnet) => WriteJson(writer =>
    {
        writer.WriteString("kind", "magnet");
        WriteNullable(writer, "name", magnet.DisplayName);
        writer.WriteString("infoHash", magnet.InfoHash.Hex);
        writer.WriteString("infoHashBase32", magnet.InfoHash.Base32);
        WriteNullable(writer, "infoHashV2", magnet.InfoHashV2?.Hex);
        WriteStrings(writer, "trackers", magnet.Trackers);
        WriteStrings(writer, "webSeeds", magnet.WebSeeds);
        WriteStrings(writer, "peers", magnet.PeerAddresses);
        writer.WriteString("magnet", magnet.ToString());
    });

    private static string WriteJson(Action<Utf8JsonWriter> body)
    {
        using var buffer = new MemoryStream();
        using (var writer = new Utf8JsonWriter(buffer, new JsonWriterOptions { Indented = true }))
        {
            writer.WriteStartObject();
            body(writer);
            writer.WriteEndObject();
        }
        return System.Text.Encoding.UTF8.GetString(buffer.ToArray()) + "\n";
    }

    private static void WriteNullable(Utf8JsonWriter writer, string name, string? value)
    {
        if (value is null)
            writer.WriteNull(name);
        else
            writer.WriteString(name, value);
    }

    private static void WriteStrings(Utf8JsonWriter writer, string name, IEnumerable<string> values)
    {
        writer.WriteStartArray(name);
        foreach (var value in values)
            writer.WriteStringValue(value);
        writer.WriteEndArray();
    }

    /// <summary>Comments may hold newlines or terminal escapes; keep the listing one line per field.</summary>
    private static string OneLine(string text) => DisplayText.OneLine(text);
}
