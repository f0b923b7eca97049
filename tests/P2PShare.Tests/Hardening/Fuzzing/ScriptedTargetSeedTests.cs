using P2PShare.Fuzz;

namespace P2PShare.Tests.Hardening.Fuzzing;

/// <summary>
/// The seeds of the mse, webseed-response and rpc-body targets do what their names say: a valid seed goes all the way
/// through (handshake done and payload read, piece filled, request decoded) without even the documented error, so the
/// harness really reaches the deep code (a wrong key or a mis-encrypted script would stop every input at the first
/// check); an invalid one fails with the documented error and the reason named.
/// </summary>
[TestFixture]
public sealed class ScriptedTargetSeedTests
{
    public static IEnumerable<TestCaseData> Seeds()
    {
        (string Target, string Seed, string? Refusal)[] cases =
        [
            ("mse", "accept-rc4", null),
            ("mse", "accept-both-prefer-plaintext", null),
            ("mse", "accept-require-chunked", null),
            ("mse", "accept-raw-plain-handshake", null),
            ("mse", "accept-wrong-torrent", "no info-hash matches"),
            ("mse", "accept-raw-key", "req1 hash"),
            ("mse", "dial-rc4", null),
            ("mse", "dial-plaintext", null),
            ("mse", "dial-raw", "verification constant"),
            ("webseed-response", "single-last-piece", null),
            ("webseed-response", "single-piece-chunked-reads", null),
            ("webseed-response", "single-transfer-encoding-chunked", null),
            ("webseed-response", "multi-piece-across-files", null),
            ("webseed-response", "multi-last-piece", null),
            ("webseed-response", "multi-whole-file-200", null),
            ("webseed-response", "single-not-found", "HTTP 404"),
            ("webseed-response", "single-redirect", null),
            ("webseed-response", "single-redirect-loop", "HTTP 301"),
            // Regression (AFL++, round 3): a redirect to a Location with an unparsable host threw UriFormatException out of HttpClient.
            ("webseed-response", "crash-redirect-to-bad-host", "redirected to an invalid address"),
            ("rpc-body", "torrent-get", null),
            ("rpc-body", "torrent-set-with-auth", null),
            ("rpc-body", "session-set", null),
            ("rpc-body", "torrent-add", null),
            ("rpc-body", "session-get-fields", null),
            ("rpc-body", "no-arguments", null),
            // Regression (in-process smoke, round 3): a string that is not UTF-8 threw InvalidOperationException from GetString.
            ("rpc-body", "crash-invalid-utf8-string", "not UTF-8"),
        ];
        return cases.Select(c => new TestCaseData(c.Target, c.Seed, c.Refusal).SetName($"{c.Target}/{c.Seed}"));
    }

    [TestCaseSource(nameof(Seeds)), CancelAfter(20_000)]
    public void SeedGoesAsFarAsItsNameSays(string target, string seed, string? refusal)
    {
        var parser = FuzzParsers.Find(target)!;
        var input = File.ReadAllBytes(Path.Combine(Support.SwarmScripts.RepositoryRoot, "fuzz", "corpus", target, seed));
        if (refusal is null)
        {
            Assert.DoesNotThrow(() => parser.Parse(input));
            return;
        }
        var error = Assert.Catch(() => parser.Parse(input))!;
        TestContext.Out.WriteLine($"{target}/{seed}: {error.GetType().Name}: {error.Message}");
        Assert.That(parser.IsClearError(error), $"the documented error, not {error}");
        Assert.That(error.Message, Does.Contain(refusal));
    }
}
