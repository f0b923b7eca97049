using System.Buffers;
using System.Net;
using System.Net.Http.Headers;
using P2PShare.Metainfo;

namespace P2PShare.Networking.WebSeeds;

/// <summary>
/// Fetches whole pieces from one web seed: one HTTP range request per file the piece covers, each answer read
/// straight into the piece's buffer. An answer must be exactly the range asked for: an error status, a range other
/// than the one asked, fewer bytes or more bytes (the connection is cut at the first extra byte) is a
/// <see cref="WebSeedException"/>. Received bytes pay the rate limit as they arrive.
/// </summary>
internal sealed class WebSeedClient(HttpClient http, Uri seed, Torrent torrent, TimeProvider time)
{
    private const int ChunkSize = 16 * 1024;

    public Uri Seed { get; } = seed;

    /// <summary>How the last answer came: the scheme, with "+h2" once the server spoke HTTP/2 (for peer lists).</summary>
    public string Transport { get; private set; } = seed.Scheme;

    /// <summary>Fills <paramref name="destination"/> (the piece's size) with piece <paramref name="pieceIndex"/>.</summary>
    /// <param name="onReceived">Called with each chunk's size, for rates.</param>
    public async Task FetchPieceAsync(int pieceIndex, Memory<byte> destination, TokenBucket? limit, Action<int>? onReceived, TimeSpan timeout,
        CancellationToken cancellationToken)
    {
        if (destination.Length != torrent.PieceSize(pieceIndex))
            throw new ArgumentException($"buffer of {destination.Length} bytes for a piece of {torrent.PieceSize(pieceIndex)}", nameof(destination));
        foreach (var range in WebSeedRanges.ForPiece(torrent, pieceIndex))
        {
            var target = destination.Slice(range.PieceOffset, range.Length);
            if (range.IsPadding)
            {
                target.Span.Clear();
                continue;
            }
            var url = WebSeedUrl.ForFile(Seed, torrent, torrent.Files[range.FileIndex]);
            using var deadline = new CancellationTokenSource(timeout, time);
            using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, deadline.Token);
            try
            {
                await FetchRangeAsync(url, range, target, limit, onReceived, linked.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (deadline.IsCancellationRequested && !cancellationToken.IsCancellationRequested)
            {
                throw new WebSeedException($"{url}: no complete answer within {timeout.TotalSeconds:0} s");
            }
            catch (HttpRequestException error)
            {
                throw new WebSeedException($"{url}: {error.Message}", error);
            }
            catch (IOException error)
            {
                throw new WebSeedException($"{url}: {error.Message}", error);
            }
            catch (UriFormatException error)
            {
                // A redirect to a Location whose host cannot be parsed: HttpClient lets this through unwrapped.
                throw new WebSeedException($"{url}: redirected to an invalid address ({error.Message})", error);
            }
        }
    }

    private async Task FetchRangeAsync(Uri url, WebSeedRange range, Memory<byte> target, TokenBucket? limit, Action<int>? onReceived, CancellationToken cancellationToken)
    {
        // HTTP/2 where the server offers it (the shared client's defaults; a message made here does not take them by itself).
        using var request = new HttpRequestMessage(HttpMethod.Get, url) { Version = http.DefaultRequestVersion, VersionPolicy = http.DefaultVersionPolicy };
        request.Headers.Range = new RangeHeaderValue(range.FileOffset, range.FileOffset + range.Length - 1);
        using var response = await http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, cancellationToken).ConfigureAwait(false);
        Transport = response.Version.Major >= 2 ? $"{url.Scheme}+h2" : url.Scheme;
        CheckHeaders(url, range, response);
        await using var body = await response.Content.ReadAsStreamAsync(cancellationToken).ConfigureAwait(false);
        var filled = 0;
        while (filled < target.Length)
        {
            var read = await body.ReadAsync(target.Slice(filled, Math.Min(ChunkSize, target.Length - filled)), cancellationToken).ConfigureAwait(false);
            if (read == 0)
                throw new WebSeedException($"{url}: answer ended after {filled} of {target.Length} bytes");
            filled += read;
            onReceived?.Invoke(read);
            if (limit is not null)
                await limit.ConsumeAsync(read, cancellationToken).ConfigureAwait(false);
        }
        // Exactly the range, and not a byte more: a server sending more than asked is cut off here.
        var probe = ArrayPool<byte>.Shared.Rent(1);
        try
        {
            if (await body.ReadAsync(probe.AsMemory(0, 1), cancellationToken).ConfigureAwait(false) != 0)
                throw new WebSeedException($"{url}: answer is longer than the {target.Length} bytes asked for");
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(probe);
        }
    }

    private static void CheckHeaders(Uri url, WebSeedRange range, HttpResponseMessage response)
    {
        var contentRange = response.Content.Headers.ContentRange;
        WebSeedAnswer.Check(url, range, response.StatusCode, response.ReasonPhrase, response.Content.Headers.ContentLength, contentRange?.From, contentRange?.To);
    }
}
