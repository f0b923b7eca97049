using System.Text;
using P2PShare.Metainfo;
using P2PShare.Networking.WebSeeds;

namespace P2PShare.Fuzz.Targets;

/// <summary>
/// The <c>webseed-response</c> target: what a BEP 19 web seed sends back, through the code that reads it in a download
/// (<see cref="WebSeedClient.FetchPieceAsync"/> on the shared client's handler settings, <see cref="WebSeedHttp.Create"/>),
/// with every connection opened on a <see cref="ScriptedStream"/> of the input instead of a socket (no address is ever
/// dialled). The input is the server's bytes: one or more HTTP/1.1 answers, one per connection (<see cref="Answers"/>:
/// status line, headers, Content-Range, Content-Length, chunked or counted bodies, redirects), for a piece of a
/// single-file torrent or of a multi-file one whose pieces span several files and a BEP 47 pad file (several range
/// requests).
/// <code>
/// byte 0   bit 7: multi-file torrent; bits 0-6: the piece (mod the piece count)
/// byte 1   read chunk size (0: as much as asked)
/// byte 2.. the server's answers (connection N gets the Nth, cut before each "HTTP/1.")
/// </code>
/// Only <see cref="WebSeedException"/> may escape.
/// </summary>
internal static class WebSeedFuzz
{
    public const int PieceLength = 1024;

    /// <summary>f.bin, 2,500 bytes: 3 pieces of 1 KiB (small pieces keep the seeds small).</summary>
    public static Torrent SingleFile { get; } = TorrentParser.Parse(Info("6:lengthi2500e4:name5:f.bin", 3));

    /// <summary>root/a (700), root/b (200), a 100-byte pad file, root/c (1,500): 3 pieces; the first spans all four.</summary>
    public static Torrent MultiFile { get; } = TorrentParser.Parse(Info(
        "5:filesl" +
        "d6:lengthi700e4:pathl1:aee" +
        "d6:lengthi200e4:pathl1:bee" +
        "d4:attr1:p6:lengthi100e4:pathl4:.pad3:100ee" +
        "d6:lengthi1500e4:pathl1:cee" +
        "e4:name4:root", 3));

    private static readonly Uri Seed = new("http://127.0.0.1:9/seed/");

    public static void Run(byte[] input)
    {
        if (input.Length < 2)
            throw new WebSeedException("input shorter than the target's header");
        var torrent = (input[0] & 0x80) != 0 ? MultiFile : SingleFile;
        var piece = (input[0] & 0x7f) % torrent.PieceCount;
        var chunk = input[1] == 0 ? int.MaxValue : input[1];
        var answers = Answers(input.AsMemory(2));
        var connections = 0;
        using var http = WebSeedHttp.Create(connect: (_, _) =>
            ValueTask.FromResult<Stream>(new ScriptedStream(connections < answers.Count ? answers[connections++] : ReadOnlyMemory<byte>.Empty, chunk)));
        var client = new WebSeedClient(http, Seed, torrent, TimeProvider.System);
        var buffer = new byte[torrent.PieceSize(piece)];
        client.FetchPieceAsync(piece, buffer, limit: null, onReceived: null, TimeSpan.FromSeconds(5), CancellationToken.None).GetAwaiter().GetResult();
    }

    /// <summary>
    /// The server's bytes cut before each "HTTP/1." after the first byte: connection N is served the Nth part (then end of
    /// stream). A scripted stream cannot keep a pooled connection alive (HttpClient's read-ahead on an idle connection
    /// would see the next answer at once and drop it), so each request a piece needs (one per file, redirects) opens a
    /// new connection, and gets the next answer.
    /// </summary>
    public static List<ReadOnlyMemory<byte>> Answers(ReadOnlyMemory<byte> server)
    {
        var answers = new List<ReadOnlyMemory<byte>>();
        var start = 0;
        var span = server.Span;
        for (var at = 1; at <= span.Length - 7; at++)
        {
            if (span[at] == (byte)'H' && span[at..].StartsWith("HTTP/1."u8))
            {
                answers.Add(server[start..at]);
                start = at;
            }
        }
        answers.Add(server[start..]);
        return answers;
    }

    private static byte[] Info(string fields, int pieces) =>
        [.. Encoding.ASCII.GetBytes($"d4:infod{fields}12:piece lengthi{PieceLength}e6:pieces{pieces * 20}:"), .. new byte[pieces * 20], .. "ee"u8];
}
