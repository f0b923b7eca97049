using System.Buffers;
using System.Net;
using System.Net.Http.Headers;
using P2PShare.Metainfo;
using P2PShare.Protocol.Tracker;

namespace P2PShare.Networking.Trackers;

/// <summary>
/// An HTTP(S) tracker (BEP 3). One request per call: timeouts and retries belong to the caller's
/// resilience pipeline. Answers are read up to <see cref="TrackerOptions.MaxResponseBytes"/> and no further.
/// </summary>
internal sealed class HttpTrackerClient : ITrackerClient
{
    private readonly HttpClient _http;
    private readonly TrackerOptions _options;
    private readonly uint _key;
    private volatile string? _trackerId;

    public HttpTrackerClient(Uri uri, HttpClient http, TrackerOptions options, uint key)
    {
        if (uri.Scheme is not ("http" or "https"))
            throw new ArgumentException($"not an HTTP tracker: {uri}", nameof(uri));
        Uri = uri;
        _http = http;
        _options = options;
        _key = key;
    }

    public Uri Uri { get; }

    /// <summary>The 'tracker id' the tracker gave, sent back on later announces.</summary>
    public string? TrackerId => _trackerId;

    /// <summary>An HttpClient fit for trackers: few redirects, decompression, no client-side timeout (the pipeline has one).</summary>
    public static HttpClient CreateHttpClient(TrackerOptions options)
    {
        var handler = new SocketsHttpHandler
        {
            AllowAutoRedirect = true,
            MaxAutomaticRedirections = 3,
            AutomaticDecompression = DecompressionMethods.All,
            ConnectTimeout = options.HttpTimeout,
            PooledConnectionLifetime = TimeSpan.FromMinutes(5),
            MaxResponseHeadersLength = 64, // KiB
        };
        var http = new HttpClient(handler) { Timeout = Timeout.InfiniteTimeSpan };
        http.DefaultRequestHeaders.UserAgent.Add(new ProductInfoHeaderValue("P2PShare", "0.1"));
        // Announces are minutes apart and trackers (opentracker among them) drop the connection after answering
        // without saying so; a pooled connection would only fail on reuse with "connection reset by peer".
        http.DefaultRequestHeaders.ConnectionClose = true;
        return http;
    }

    public async Task<AnnounceResponse> AnnounceAsync(AnnounceRequest request, CancellationToken ct)
    {
        var url = HttpTrackerUrl.BuildAnnounce(Uri, request.ToParameters(_key, _trackerId));
        var body = await GetAsync(url, ct).ConfigureAwait(false);
        var reply = HttpTrackerResponseParser.ParseAnnounce(body);
        if (reply.TrackerId is not null)
            _trackerId = reply.TrackerId;
        return new AnnounceResponse(
            reply.IntervalSeconds is { } interval ? TimeSpan.FromSeconds(interval) : _options.DefaultInterval,
            reply.MinIntervalSeconds is { } minInterval ? TimeSpan.FromSeconds(minInterval) : null,
            reply.Peers,
            reply.Complete,
            reply.Incomplete,
            reply.WarningMessage);
    }

    public async Task<ScrapeResponse> ScrapeAsync(InfoHash infoHash, CancellationToken ct)
    {
        if (!HttpTrackerUrl.TryGetScrape(Uri, out var scrape))
            throw new TrackerFailureException("this tracker's URL does not allow scraping");
        var body = await GetAsync(HttpTrackerUrl.BuildScrape(scrape!, infoHash), ct).ConfigureAwait(false);
        var stats = HttpTrackerResponseParser.ParseScrape(body, infoHash);
        return new ScrapeResponse(stats.Seeders, stats.Completed, stats.Leechers);
    }

    private async Task<ReadOnlyMemory<byte>> GetAsync(Uri url, CancellationToken ct)
    {
        try
        {
            using var request = new HttpRequestMessage(HttpMethod.Get, url);
            using var response = await _http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, ct).ConfigureAwait(false);
            if (response.Content.Headers.ContentLength > _options.MaxResponseBytes)
                throw new TrackerProtocolException($"answer of {response.Content.Headers.ContentLength} bytes is larger than the limit of {_options.MaxResponseBytes}");
            var body = await ReadBoundedAsync(response.Content, ct).ConfigureAwait(false);
            if (!response.IsSuccessStatusCode)
                throw StatusError(response.StatusCode, body);
            return body;
        }
        catch (HttpRequestException error) when (error.HttpRequestError is HttpRequestError.InvalidResponse)
        {
            throw new TrackerProtocolException($"not an HTTP answer: {error.Message}", error);
        }
        catch (HttpRequestException error)
        {
            throw new TrackerUnreachableException(error.Message, error);
        }
        catch (IOException error)
        {
            // HttpIOException included: the connection closed before the announced length arrived.
            throw new TrackerUnreachableException($"answer cut short: {error.Message}", error);
        }
    }

    private async Task<ReadOnlyMemory<byte>> ReadBoundedAsync(HttpContent content, CancellationToken ct)
    {
        var stream = await content.ReadAsStreamAsync(ct).ConfigureAwait(false);
        await using var _ = stream.ConfigureAwait(false);
        var limit = _options.MaxResponseBytes;
        var buffer = new ArrayBufferWriter<byte>(Math.Min(limit, 16 * 1024));
        while (true)
        {
            var memory = buffer.GetMemory(8 * 1024);
            var read = await stream.ReadAsync(memory, ct).ConfigureAwait(false);
            if (read == 0)
                return buffer.WrittenMemory;
            buffer.Advance(read);
            if (buffer.WrittenCount > limit)
                throw new TrackerProtocolException($"answer is larger than the limit of {limit} bytes");
        }
    }

    private static TrackerException StatusError(HttpStatusCode status, ReadOnlyMemory<byte> body)
    {
        // Some trackers send their bencoded 'failure reason' with an error status: prefer it.
        try
        {
            HttpTrackerResponseParser.ParseAnnounce(body);
        }
        catch (TrackerFailureException failure)
        {
            return failure;
        }
        catch (TrackerException)
        {
        }
        var code = (int)status;
        var message = $"HTTP {code} {status}";
        return code >= 500 || status == HttpStatusCode.TooManyRequests
            ? new TrackerUnreachableException(message)
            : new TrackerProtocolException(message);
    }
}
