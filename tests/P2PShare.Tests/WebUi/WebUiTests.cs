using System.Diagnostics;
using System.Net;
using System.Text.Json;
using Microsoft.Playwright;
using P2PShare.Tests.Daemon;
using P2PShare.Tests.Support;
using static Microsoft.Playwright.Assertions;

namespace P2PShare.Tests.WebUi;

/// <summary>
/// The web UI in Debian's headless chromium against a real 'p2pshare daemon' and a libtorrent seeder on 127.0.0.1:
/// a torrent added through the page completes, is paused and removed; the page logs no console error; screenshots
/// (desktop and phone) go to artifacts/webui/ and are attached to the test.
/// </summary>
[TestFixture, Category("Interop"), NonParallelizable]
public sealed class WebUiTests
{
    private const int DataSize = 3 << 20;
    private const int PieceLength = 64 * 1024;
    private TempDirectory _work = null!;
    private DaemonProcess _daemon = null!;
    private string _downloads = null!;
    private Uri _page = null!;
    private HeadlessChromium _chromium = null!;

    [OneTimeSetUp]
    public async Task StartDaemonAndBrowser()
    {
        RequiredTool.EnsureLibtorrent();
        _work = new TempDirectory("p2pshare-webui-");
        _chromium = await HeadlessChromium.StartAsync();
        _downloads = _work.CreateSubdirectory("downloads");
        _daemon = await DaemonProcess.StartAsync(_work.Path, _work.CreateSubdirectory("config"), _downloads, CancellationToken.None);
        _page = new Uri($"http://127.0.0.1:{_daemon.RpcPort}/");
    }

    [SetUp]
    public void ForgetEarlierProblems() => _chromium.ClearProblems();

    [OneTimeTearDown]
    public async Task Stop()
    {
        if (_chromium is not null)
            await _chromium.DisposeAsync();
        if (_daemon is not null)
            await _daemon.DisposeAsync();
        _work?.Dispose();
    }

    [Test, CancelAfter(60_000)]
    public async Task AddedTorrentCompletesFromLibtorrentThenPausesAndIsRemovedWithItsData(CancellationToken ct)
    {
        var source = TestData.CreateFile(_work.Combine("seed", "data.bin"), DataSize, seed: 18);
        var torrent = await LibtorrentTorrent.CreateAsync(source, _work.Combine("data.torrent"), PieceLength, cancellationToken: ct);
        var phases = new Phases();
        var page = await _chromium.NewPageAsync(1280, 900);
        await page.GotoAsync(_page.ToString());
        await Expect(page.Locator("#live-state")).ToHaveTextAsync("live");
        phases.Done("page loaded, events live");

        // Add the .torrent through the dialog.
        await page.GetByRole(AriaRole.Button, new() { Name = "Add torrent" }).ClickAsync();
        await page.GetByLabel("A .torrent file").SetInputFilesAsync(torrent.TorrentPath);
        await page.GetByRole(AriaRole.Button, new() { Name = "Add", Exact = true }).ClickAsync();
        var row = page.Locator("#torrent-rows tr", new() { HasText = "data.bin" });
        await Expect(row).ToBeVisibleAsync();
        var added = await _daemon.Rpc.TorrentsAsync(["id", "hashString"], cancellationToken: ct);
        Assert.That(added.Select(t => t.GetProperty("hashString").GetString()), Is.EqualTo(new[] { torrent.InfoHash }), "the daemon has the torrent the page added");

        phases.Done("added through the dialog");

        // A seeder that dials the daemon; upload-limited so the transfer lasts a few seconds and shows in the page.
        await using var seeder = await LibtorrentPeer.StartSeedAsync(torrent.TorrentPath, _work.Combine("seed"),
            o => o with { NoTrackers = true, ConnectTo = [new IPEndPoint(IPAddress.Loopback, _daemon.PeerPort)], UploadLimit = 768 * 1024 }, ct);
        var clock = Stopwatch.StartNew();
        await row.GetByRole(AriaRole.Button, new() { Name = "Details of data.bin" }).ClickAsync();

        string? peerSeen = null, rateSeen = null;
        var midTransferShot = false;
        var percentsSeen = new List<string>();
        await Eventually.UntilAsync(async () =>
        {
            var percent = await row.Locator(".pct").InnerTextAsync();
            if (percentsSeen.Count == 0 || percentsSeen[^1] != percent)
                percentsSeen.Add(percent);
            var totalDown = await page.Locator("#total-down").InnerTextAsync();
            if (totalDown != "0 B/s")
                rateSeen ??= totalDown;
            if (peerSeen is null && (await page.Locator("#peer-rows").InnerTextAsync()).Contains("libtorrent", StringComparison.Ordinal))
                peerSeen = await page.Locator("#peer-rows tr").First.InnerTextAsync();
            // One picture mid-transfer, once the rates show.
            if (!midTransferShot && peerSeen is not null && totalDown != "0 B/s" && percent is not ("0.0%" or "100%"))
            {
                midTransferShot = true;
                await Screenshot(page, "webui-downloading.png", "desktop, downloading, detail view with the libtorrent peer");
            }
            return percent == "100%" && await row.Locator(".badge").InnerTextAsync() == "Seeding";
        }, TimeSpan.FromSeconds(30), "the page to show the torrent at 100% and seeding", () => $"{string.Join(", ", _chromium.Problems)}{Environment.NewLine}{_daemon.Client.Describe()}",
            pollInterval: TimeSpan.FromMilliseconds(200), cancellationToken: ct);
        TestContext.Out.WriteLine($"web UI: {DataSize >> 20} MiB complete after {clock.Elapsed.TotalSeconds:0.0} s; progress shown: {string.Join(" ", percentsSeen)}; " +
            $"first total download rate shown: {rateSeen}; peer row: {peerSeen?.ReplaceLineEndings(" | ")}");
        Assert.That(TestData.Sha256File(Path.Combine(_downloads, "data.bin")), Is.EqualTo(TestData.Sha256File(source)), "the data on disk");
        Assert.That(percentsSeen, Has.Count.GreaterThan(1), "progress moved while the page watched (not only 100%)");
        Assert.That(rateSeen, Is.Not.Null, "the live total download rate (server-sent events) showed a transfer");
        Assert.That(peerSeen, Does.Contain("127.0.0.1"), "the detail view listed the seeder among the peers");

        phases.Done("complete");

        // The engine's diagnosis beside the torrent (the RPC's 'diagnosis' field): a line under "Status" or "Why".
        await Expect(page.Locator("#detail-facts dt").Filter(new() { HasTextRegex = new System.Text.RegularExpressions.Regex("^(Status|Why)$") }).First)
            .ToBeVisibleAsync(new() { Timeout = 10_000 });

        // The detail tabs: the piece map has every piece, the file is wanted.
        await page.GetByRole(AriaRole.Tab, new() { Name = "Pieces" }).ClickAsync();
        await Expect(page.Locator("#piece-caption")).ToContainTextAsync($"{torrent.NumPieces} of {torrent.NumPieces} pieces");
        await page.GetByRole(AriaRole.Tab, new() { Name = "Files" }).ClickAsync();
        await Expect(page.GetByRole(AriaRole.Checkbox, new() { Name = "data.bin", Exact = true })).ToBeCheckedAsync();
        await Screenshot(page, "webui-complete.png", "desktop, complete, files tab");

        phases.Done("detail tabs");

        // The same list on a phone: cards, no sideways scrolling.
        var phone = await _chromium.NewPageAsync(390, 844, isMobile: true);
        await phone.GotoAsync(_page.ToString());
        await Expect(phone.Locator("#torrent-rows tr", new() { HasText = "data.bin" })).ToBeVisibleAsync();
        await Expect(phone.Locator("#live-state")).ToHaveTextAsync("live");
        var overflow = await phone.EvaluateAsync<int>("() => document.documentElement.scrollWidth - window.innerWidth");
        await Screenshot(phone, "webui-phone.png", "phone viewport 390x844");
        Assert.That(overflow, Is.LessThanOrEqualTo(0), "the phone layout fits the screen's width");
        await phone.Context.CloseAsync();

        phases.Done("phone page");

        // Pause: the page and the daemon agree.
        await row.GetByRole(AriaRole.Button, new() { Name = "Pause data.bin" }).ClickAsync();
        await Expect(row.Locator(".badge")).ToHaveTextAsync("Paused");
        await Expect(row.GetByRole(AriaRole.Button, new() { Name = "Resume data.bin" })).ToBeVisibleAsync();
        var paused = await _daemon.Rpc.TorrentsAsync(["id", "status"], cancellationToken: ct);
        Assert.That(paused.Single().GetProperty("status").GetInt32(), Is.EqualTo(0), "Transmission status 0 (stopped) in the daemon");
        await Screenshot(page, "webui-paused.png", "desktop, paused");

        phases.Done("paused");

        // Remove with its data, after the confirmation dialog.
        await row.GetByRole(AriaRole.Button, new() { Name = "Remove data.bin" }).ClickAsync();
        var dialog = page.Locator("#remove-dialog");
        await Expect(dialog).ToBeVisibleAsync();
        await dialog.GetByLabel("Also delete the downloaded data").CheckAsync();
        await Screenshot(page, "webui-remove.png", "remove confirmation");
        await dialog.GetByRole(AriaRole.Button, new() { Name = "Remove", Exact = true }).ClickAsync();
        await Expect(row).ToHaveCountAsync(0);
        await Expect(page.Locator("#empty-list")).ToBeVisibleAsync();
        await Expect(page.Locator("#detail")).ToBeHiddenAsync();
        Assert.That(await _daemon.Rpc.TorrentsAsync(["id"], cancellationToken: ct), Is.Empty, "the daemon forgot the torrent");
        await Eventually.UntilAsync(() => !File.Exists(Path.Combine(_downloads, "data.bin")), TimeSpan.FromSeconds(10), "the data to be deleted", cancellationToken: ct);

        phases.Done("removed with data");
        TestContext.Out.WriteLine($"phases: {phases}");
        Assert.That(_chromium.Problems, Is.Empty, "console errors, page errors or failed requests");
    }

    [Test, CancelAfter(45_000)]
    public async Task MagnetAddedThroughThePageCompletesAndIsRemovedKeepingItsData(CancellationToken ct)
    {
        var source = TestData.CreateFile(_work.Combine("magnet-seed", "magnet.bin"), 1 << 20, seed: 19);
        var torrent = await LibtorrentTorrent.CreateAsync(source, _work.Combine("magnet.torrent"), 32 * 1024, cancellationToken: ct);
        var page = await _chromium.NewPageAsync(1280, 900);
        await page.GotoAsync(_page.ToString());
        await Expect(page.Locator("#live-state")).ToHaveTextAsync("live");
        var clock = Stopwatch.StartNew();

        await page.GetByRole(AriaRole.Button, new() { Name = "Add torrent" }).ClickAsync();
        await page.GetByLabel("or a magnet link").FillAsync($"magnet:?xt=urn:btih:{torrent.InfoHash}&dn=magnet.bin");
        await page.GetByRole(AriaRole.Button, new() { Name = "Add", Exact = true }).ClickAsync();
        await Expect(page.Locator("#add-dialog")).ToBeHiddenAsync();
        var row = page.Locator("#torrent-rows tr", new() { HasText = "magnet.bin" });
        await Expect(row).ToBeVisibleAsync();

        await using var seeder = await LibtorrentPeer.StartSeedAsync(torrent.TorrentPath, _work.Combine("magnet-seed"),
            o => o with { NoTrackers = true, ConnectTo = [new IPEndPoint(IPAddress.Loopback, _daemon.PeerPort)] }, ct);
        await Expect(row.Locator(".pct")).ToHaveTextAsync("100%", new() { Timeout = 30_000 });
        TestContext.Out.WriteLine($"web UI: magnet link (1 MiB) complete after {clock.Elapsed.TotalSeconds:0.0} s");
        var file = Path.Combine(_downloads, "magnet.bin");
        Assert.That(TestData.Sha256File(file), Is.EqualTo(TestData.Sha256File(source)), "the data on disk");

        // Remove, keeping the data (the box is unchecked by default).
        await row.GetByRole(AriaRole.Button, new() { Name = "Remove magnet.bin" }).ClickAsync();
        var dialog = page.Locator("#remove-dialog");
        await Expect(dialog.GetByLabel("Also delete the downloaded data")).Not.ToBeCheckedAsync();
        await dialog.GetByRole(AriaRole.Button, new() { Name = "Remove", Exact = true }).ClickAsync();
        await Expect(row).ToHaveCountAsync(0);
        Assert.That((await _daemon.Rpc.TorrentsAsync(["hashString"], cancellationToken: ct)).Select(t => t.GetProperty("hashString").GetString()), Does.Not.Contain(torrent.InfoHash));
        Assert.That(File.Exists(file), Is.True, "the data stays when 'delete' is not checked");
        Assert.That(_chromium.Problems, Is.Empty, "console errors, page errors or failed requests");
    }

    [Test, CancelAfter(30_000)]
    public async Task KeyboardAloneOpensAndClosesTheAddDialogAndItRefusesAnEmptyForm(CancellationToken ct)
    {
        var page = await _chromium.NewPageAsync(1024, 768);
        await page.GotoAsync(_page.ToString());
        await Expect(page.Locator("#live-state")).ToHaveTextAsync("live");
        await page.Keyboard.PressAsync("Tab");
        Assert.That(await ActiveId(page), Is.Null, "first stop is the skip link (no id)");
        Assert.That(await page.EvaluateAsync<string>("() => document.activeElement.textContent"), Does.StartWith("Skip"));
        await page.Keyboard.PressAsync("Tab");
        Assert.That(await ActiveId(page), Is.EqualTo("add-open"));
        var outline = await page.EvaluateAsync<string>("() => getComputedStyle(document.activeElement).outlineStyle");
        Assert.That(outline, Is.EqualTo("solid"), "a visible focus ring");
        await page.Keyboard.PressAsync("Enter");
        await Expect(page.Locator("#add-dialog")).ToBeVisibleAsync();
        Assert.That(await ActiveId(page), Is.EqualTo("add-file"), "focus moves into the dialog");
        foreach (var next in new[] { "add-magnet", "add-dir", "add-paused", "add-cancel", "add-submit" })
        {
            await page.Keyboard.PressAsync("Tab");
            Assert.That(await ActiveId(page), Is.EqualTo(next), "tab order in the add dialog");
        }
        await page.Keyboard.PressAsync("Enter");
        await Expect(page.Locator("#add-error")).ToHaveTextAsync("Choose a .torrent file or paste a magnet link.");
        await page.Keyboard.PressAsync("Escape");
        await Expect(page.Locator("#add-dialog")).ToBeHiddenAsync();
        Assert.That(await ActiveId(page), Is.EqualTo("add-open"), "focus returns to the button that opened the dialog");
        Assert.That(_chromium.Problems, Is.Empty);
    }

    [Test, CancelAfter(30_000)]
    public async Task PageModulesFormatNumbersDecodeTheBitfieldAndReadEvents(CancellationToken ct)
    {
        var page = await _chromium.NewPageAsync(800, 600);
        await page.GotoAsync(_page.ToString());
        var result = await page.EvaluateAsync<JsonElement>("""
            async () => {
              const f = await import('/js/format.js');
              const p = await import('/js/pieceMap.js');
              const e = await import('/js/events.js');
              const snapshot = e.normalizeSnapshot({ downloadSpeed: 5, uploadSpeed: 7,
                torrents: [{ id: 3, rateDownload: 2, rateUpload: 1, percentDone: 0.5, status: 4, eta: 9 }] });
              return {
                eta: [f.eta(3725), f.eta(-1), f.eta(59)],
                bytes: [f.bytes(1536), f.bytes(0), f.bytes(5 * 1024 * 1024 * 1024)],
                ratio: [f.ratio(-2), f.ratio(1.234), f.ratio(-1)],
                status: [f.status(0, {}), f.status(4, {}), f.status(6, { errorString: 'disk full' })],
                bits: Array.from(p.decodeBitfield(btoa(String.fromCharCode(0xA0, 0x80)), 10)),
                snapshot,
              };
            }
            """);
        TestContext.Out.WriteLine(result.GetRawText());
        Assert.Multiple(() =>
        {
            Assert.That(result.GetProperty("eta").EnumerateArray().Select(x => x.GetString()), Is.EqualTo(new[] { "1h 2m", "–", "59s" }));
            Assert.That(result.GetProperty("bytes").EnumerateArray().Select(x => x.GetString()), Is.EqualTo(new[] { "1.5 KiB", "0 B", "5.0 GiB" }));
            Assert.That(result.GetProperty("ratio").EnumerateArray().Select(x => x.GetString()), Is.EqualTo(new[] { "∞", "1.23", "–" }));
            Assert.That(result.GetProperty("status").EnumerateArray().Select(x => x.GetString()), Is.EqualTo(new[] { "Paused", "Downloading", "Error" }));
            Assert.That(result.GetProperty("bits").EnumerateArray().Select(x => x.GetInt32()), Is.EqualTo(new[] { 1, 0, 1, 0, 0, 0, 0, 0, 1, 0 }));
            var snapshot = result.GetProperty("snapshot");
            Assert.That(snapshot.GetProperty("downloadRate").GetInt32(), Is.EqualTo(5));
            Assert.That(snapshot.GetProperty("uploadRate").GetInt32(), Is.EqualTo(7));
            var t = snapshot.GetProperty("torrents")[0];
            Assert.That((t.GetProperty("id").GetInt32(), t.GetProperty("rateDownload").GetInt32(), t.GetProperty("percentDone").GetDouble(), t.GetProperty("status").GetInt32(), t.GetProperty("eta").GetInt32()),
                Is.EqualTo((3, 2, 0.5, 4, 9)));
        });
        Assert.That(_chromium.Problems, Is.Empty);
    }

    /// <summary>Seconds each step of a test took, for the CI log.</summary>
    private sealed class Phases
    {
        private readonly Stopwatch _clock = Stopwatch.StartNew();
        private readonly List<string> _done = [];
        private TimeSpan _last;

        public void Done(string what)
        {
            var now = _clock.Elapsed;
            _done.Add($"{what} {(now - _last).TotalSeconds:0.0} s");
            _last = now;
        }

        public override string ToString() => string.Join("; ", _done);
    }

    private static Task<string?> ActiveId(IPage page) => page.EvaluateAsync<string?>("() => document.activeElement?.id || null");

    private static async Task Screenshot(IPage page, string fileName, string description)
    {
        var directory = Directory.CreateDirectory(Path.Combine(SwarmScripts.RepositoryRoot, "artifacts", "webui")).FullName;
        var path = Path.Combine(directory, fileName);
        await page.ScreenshotAsync(new PageScreenshotOptions { Path = path, FullPage = true });
        TestContext.AddTestAttachment(path, description);
        TestContext.Out.WriteLine($"screenshot: {path}");
    }
}
