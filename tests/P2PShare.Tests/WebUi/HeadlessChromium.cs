using Microsoft.Playwright;
using P2PShare.Tests.Support;

namespace P2PShare.Tests.WebUi;

/// <summary>
/// Debian's chromium driven by Playwright for .NET (which cannot download browsers here: ExecutablePath points at the
/// system one), headless. Every page it opens records console errors and warnings and uncaught exceptions, so a test
/// can assert the page logged none. Disposing closes the browser and ends Playwright's driver process.
/// </summary>
public sealed class HeadlessChromium : IAsyncDisposable
{
    private readonly IPlaywright _playwright;
    private readonly List<string> _problems = [];

    private HeadlessChromium(IPlaywright playwright, IBrowser browser)
    {
        _playwright = playwright;
        Browser = browser;
    }

    public IBrowser Browser { get; }

    /// <summary>Console errors and warnings, page errors and failed requests of every page so far.</summary>
    public IReadOnlyList<string> Problems
    {
        get { lock (_problems) return [.. _problems]; }
    }

    /// <summary>Forgets the problems recorded so far (a fixture sharing the browser calls it before each test).</summary>
    public void ClearProblems()
    {
        lock (_problems)
            _problems.Clear();
    }

    /// <summary>Starts chromium (RequiredTool: fails under CI when it is missing, else ignores the test).</summary>
    public static async Task<HeadlessChromium> StartAsync()
    {
        var executable = RequiredTool.Ensure("chromium");
        var playwright = await Playwright.CreateAsync().ConfigureAwait(false);
        try
        {
            var browser = await playwright.Chromium.LaunchAsync(new BrowserTypeLaunchOptions
            {
                ExecutablePath = executable,
                Headless = true,
                Timeout = 30_000,
            }).ConfigureAwait(false);
            return new HeadlessChromium(playwright, browser);
        }
        catch
        {
            playwright.Dispose();
            throw;
        }
    }

    /// <summary>A new page in a fresh context (own cookies and storage) with this viewport.</summary>
    public async Task<IPage> NewPageAsync(int width, int height, bool isMobile = false)
    {
        var context = await Browser.NewContextAsync(new BrowserNewContextOptions
        {
            ViewportSize = new ViewportSize { Width = width, Height = height },
            IsMobile = isMobile,
            HasTouch = isMobile,
        }).ConfigureAwait(false);
        var page = await context.NewPageAsync().ConfigureAwait(false);
        page.Console += (_, message) =>
        {
            if (message.Type is "error" or "warning")
                Record($"console {message.Type}: {message.Text} ({message.Location})");
        };
        page.PageError += (_, error) => Record($"page error: {error}");
        page.RequestFailed += (_, request) =>
        {
            // A server-sent events stream cut when the page closes is not a failure of the page.
            if (!request.Url.EndsWith("/api/events", StringComparison.Ordinal))
                Record($"request failed: {request.Method} {request.Url}: {request.Failure}");
        };
        page.SetDefaultTimeout(15_000);
        return page;
    }

    private void Record(string problem)
    {
        lock (_problems)
            _problems.Add(problem);
    }

    public async ValueTask DisposeAsync()
    {
        await Browser.CloseAsync().ConfigureAwait(false);
        await Browser.DisposeAsync().ConfigureAwait(false);
        _playwright.Dispose();
    }
}
