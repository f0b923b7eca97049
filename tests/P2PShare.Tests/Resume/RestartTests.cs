using System.Security.Cryptography;
using P2PShare.Bencode;
using P2PShare.Storage;

namespace P2PShare.Tests.Resume;

/// <summary>
/// Issue 7: stopping and starting again. The seeder's upload counter says what each run fetched.
/// </summary>
[TestFixture]
[Category("Interop")]
public sealed class RestartTests
{
    private const long Size = 64L * 1024 * 1024;
    private const int PieceLength = 256 * 1024;
    private const int PieceCount = (int)(Size / PieceLength);
    private const int SigInt = 2;

    /// <summary>A graceful stop drops the blocks in flight: at most the scheduler's 4 MiB of requests.</summary>
    private const long AllowedWastePerStop = 4L * 1024 * 1024 + PieceLength;

    [Test]
    public async Task StoppedWithSigint_SecondRunFetchesOnlyWhatIsMissing()
    {
        await using var swarm = await ResumeSwarm.StartAsync(Size, PieceLength, uploadLimit: 16_000_000, seed: 72);
        var first = await DownloadPartlyAsync(swarm, Size / 2);
        var afterFirst = await swarm.SettledUploadAsync();

        var second = swarm.StartRun();
        await second.WaitForSuccessAsync(TimeSpan.FromSeconds(60));
        var afterSecond = await swarm.SettledUploadAsync();
        swarm.AssertDataMatches(second);

        var output = second.Process.StdoutTail;
        Assert.That(output, Does.Contain("Resuming:").And.Contain("resume data intact"), "the second run did not trust its resume data. " + swarm.Describe(second));
        Assert.That(output, Does.Not.Contain("Checking existing data"), "a clean stop should need no check. " + swarm.Describe(second));
        var held = ResumeSwarm.PiecesHeldAtStart(second);
        Assert.That(held, Is.GreaterThan(0), "the first run kept nothing. " + swarm.Describe(first));
        var missing = (long)(PieceCount - held!.Value) * PieceLength;
        var fetched = afterSecond - afterFirst;
        TestContext.Progress.WriteLine($"SIGINT: exit code {first.Process.ExitCode}; first run got {afterFirst} bytes, kept {held} pieces; second run fetched {fetched}, missing was {missing}");
        Assert.That(fetched, Is.GreaterThanOrEqualTo(missing), swarm.Describe(second));
        Assert.That(fetched, Is.LessThanOrEqualTo(missing + PieceLength), "the second run fetched pieces it already had. " + swarm.Describe(second));
        Assert.That(afterSecond - Size, Is.LessThanOrEqualTo(AllowedWastePerStop), "too much was fetched twice over the stop. " + swarm.Describe(second));
    }

    [Test]
    public async Task FileModifiedBetweenRuns_ChangedPiecesAreFetchedAgain()
    {
        await using var swarm = await ResumeSwarm.StartAsync(Size, PieceLength, uploadLimit: 0, seed: 73);
        var first = swarm.StartRun();
        await first.WaitForSuccessAsync(TimeSpan.FromSeconds(60));
        var afterFirst = await swarm.SettledUploadAsync();
        swarm.AssertDataMatches(first);

        // Flip 64 bytes across the boundary in the middle of the file: two pieces change, the size does not.
        var offset = Size / 2 - 32;
        using (var file = File.OpenHandle(swarm.DownloadedFile, FileMode.Open, FileAccess.ReadWrite))
        {
            var bytes = new byte[64];
            RandomAccess.Read(file, bytes, offset);
            for (var i = 0; i < bytes.Length; i++)
            {
                bytes[i] ^= 0x5A;
            }
            RandomAccess.Write(file, bytes, offset);
        }
        Assert.That(new FileInfo(swarm.DownloadedFile).Length, Is.EqualTo(Size));

        var second = swarm.StartRun();
        await second.WaitForSuccessAsync(TimeSpan.FromSeconds(60));
        var afterSecond = await swarm.SettledUploadAsync();
        swarm.AssertDataMatches(second);

        var output = second.Process.StdoutTail;
        Assert.That(output, Does.Contain("Checking existing data").And.Contain("changed"), "the change on disk went unnoticed. " + swarm.Describe(second));
        Assert.That(ResumeSwarm.PiecesHeldAtStart(second), Is.EqualTo(PieceCount - 2), "the check should find exactly the two changed pieces. " + swarm.Describe(second));
        Assert.That(afterSecond - afterFirst, Is.EqualTo(2L * PieceLength), "exactly the two changed pieces should be fetched again. " + swarm.Describe(second));
    }

    [TestCase("truncated", "resume data damaged")]
    [TestCase("garbled", "resume data damaged")]
    [TestCase("foreign", "resume data is for another torrent")]
    [TestCase("older-format", "format version 0")]
    public async Task BadResumeData_IsReported_DataIsRechecked_DownloadCompletes(string damage, string expectedReason)
    {
        await using var swarm = await ResumeSwarm.StartAsync(32L * 1024 * 1024, PieceLength, uploadLimit: 16_000_000, seed: 74);
        await DownloadPartlyAsync(swarm, 16L * 1024 * 1024);
        var afterFirst = await swarm.SettledUploadAsync();
        Assert.That(File.Exists(swarm.ResumeFile), Is.True, $"no resume file at {swarm.ResumeFile}");
        Damage(swarm.ResumeFile, damage);

        var second = swarm.StartRun();
        await second.WaitForSuccessAsync(TimeSpan.FromSeconds(60));
        var afterSecond = await swarm.SettledUploadAsync();
        swarm.AssertDataMatches(second);

        var output = second.Process.StdoutTail;
        Assert.That(output, Does.Contain(expectedReason), "the client did not say what was wrong with its resume data. " + swarm.Describe(second));
        Assert.That(output, Does.Contain("Checking existing data"), "the client did not re-check. " + swarm.Describe(second));
        var held = ResumeSwarm.PiecesHeldAtStart(second);
        Assert.That(held, Is.GreaterThan(0), "the re-check found none of the pieces the first run got. " + swarm.Describe(second));
        var missing = (swarm.Size / PieceLength - held!.Value) * PieceLength;
        Assert.That(afterSecond - afterFirst, Is.LessThanOrEqualTo(missing + PieceLength), "the second run fetched what the check had found. " + swarm.Describe(second));
        TestContext.Progress.WriteLine($"{damage}: check kept {held} pieces; second run fetched {afterSecond - afterFirst}");
    }

    /// <summary>Runs the client until the seeder has sent about <paramref name="bytes"/>, then stops it with SIGINT.</summary>
    private static async Task<Support.P2PShareClient> DownloadPartlyAsync(ResumeSwarm swarm, long bytes)
    {
        var run = swarm.StartRun();
        var reached = await swarm.WaitUntilUploadedAsync(run, bytes, TimeSpan.FromSeconds(60));
        Assert.That(reached, Is.True, "the first run ended before it could be stopped. " + swarm.Describe(run));
        run.Process.Signal(SigInt);
        try
        {
            await run.WaitForExitAsync(TimeSpan.FromSeconds(20));
        }
        catch (TimeoutException error)
        {
            Assert.Fail("SIGINT did not stop the client. " + error.Message);
        }
        return run;
    }

    private static void Damage(string resumeFile, string how)
    {
        var bytes = File.ReadAllBytes(resumeFile);
        switch (how)
        {
            case "truncated":
                bytes = bytes[..(bytes.Length / 2)];
                break;
            case "garbled":
                for (var i = bytes.Length / 3; i < bytes.Length / 3 + 16; i++)
                {
                    bytes[i] ^= 0xA5;
                }
                break;
            case "foreign":
                {
                    // Intact and correctly checksummed, but written for another info-hash.
                    var outer = (BDictionary)BencodeDecoder.Decode(bytes);
                    var payload = (BDictionary)BencodeDecoder.Decode(outer.Get<BString>("payload")!.Bytes);
                    payload["info-hash"] = new BString(SHA1.HashData("some other torrent"u8));
                    var payloadBytes = BencodeEncoder.Encode(payload);
                    outer["payload"] = new BString(payloadBytes);
                    outer["checksum"] = new BString(SHA1.HashData(payloadBytes));
                    bytes = BencodeEncoder.Encode(outer);
                    break;
                }
            case "older-format":
                {
                    var outer = (BDictionary)BencodeDecoder.Decode(bytes);
                    Assert.That(ResumeData.CurrentFormatVersion, Is.EqualTo(1), "update this test's idea of an older format");
                    outer["version"] = new BInteger(0);
                    bytes = BencodeEncoder.Encode(outer);
                    break;
                }
            default:
                throw new ArgumentOutOfRangeException(nameof(how), how, "unknown damage");
        }
        File.WriteAllBytes(resumeFile, bytes);
    }
}
