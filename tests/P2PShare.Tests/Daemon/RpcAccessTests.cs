using System.Collections.Concurrent;
using System.Diagnostics;
using System.Text;
using Microsoft.AspNetCore.Http;
using P2PShare.Cli.Daemon;
using P2PShare.Cli.Rpc;

namespace P2PShare.Tests.Daemon;

[TestFixture]
public sealed class RpcAccessTests
{
    [Test]
    public void Password_hash_verifies_only_the_right_password_and_is_salted()
    {
        var hash = PasswordHash.Create("s3cret");
        Assert.Multiple(() =>
        {
            Assert.That(PasswordHash.IsHash(hash), Is.True);
            Assert.That(hash, Does.Not.Contain("s3cret"));
            Assert.That(PasswordHash.Verify("s3cret", hash), Is.True);
            Assert.That(PasswordHash.Verify("s3cret ", hash), Is.False);
            Assert.That(PasswordHash.Verify("", hash), Is.False);
            Assert.That(PasswordHash.Create("s3cret"), Is.Not.EqualTo(hash), "a new salt each time");
            Assert.That(PasswordHash.Verify("s3cret", "pbkdf2-sha256$x$y$z"), Is.False, "a malformed hash matches nothing");
            Assert.That(PasswordHash.Verify("s3cret", "plain"), Is.False);
        });
    }

    [Test]
    public void Host_header_must_name_this_machine_or_a_whitelisted_name()
    {
        var access = new RpcAccess(new DaemonSettings { RpcHostWhitelist = ["nas.home"] });
        Assert.Multiple(() =>
        {
            Assert.That(access.HostAllowed("127.0.0.1"), Is.True);
            Assert.That(access.HostAllowed("[::1]"), Is.True);
            Assert.That(access.HostAllowed("192.168.1.20"), Is.True);
            Assert.That(access.HostAllowed("localhost"), Is.True);
            Assert.That(access.HostAllowed("NAS.home"), Is.True);
            Assert.That(access.HostAllowed("evil.example.com"), Is.False, "DNS rebinding: a foreign name pointing at us");
            Assert.That(access.HostAllowed("localhost.evil.example.com"), Is.False);
            Assert.That(access.HostAllowed(""), Is.False);
        });
    }

    [Test]
    public void Basic_auth_checks_user_and_password()
    {
        var access = new RpcAccess(new DaemonSettings { RpcUsername = "admin", RpcPasswordHash = PasswordHash.Create("pw") });
        static string Basic(string text) => "Basic " + Convert.ToBase64String(Encoding.UTF8.GetBytes(text));
        Assert.Multiple(() =>
        {
            Assert.That(access.RequiresAuth, Is.True);
            Assert.That(access.Authorized(Basic("admin:pw")), Is.True);
            Assert.That(access.Authorized(Basic("admin:pw")), Is.True, "again (remembered)");
            Assert.That(access.Authorized(Basic("admin:wrong")), Is.False);
            Assert.That(access.Authorized(Basic("root:pw")), Is.False);
            Assert.That(access.Authorized(Basic("adminpw")), Is.False);
            Assert.That(access.Authorized("Basic !!!not-base64"), Is.False);
            Assert.That(access.Authorized("Bearer x"), Is.False);
            Assert.That(access.Authorized(""), Is.False);
        });
    }

    [Test]
    public void A_wrong_user_name_costs_as_much_as_a_wrong_password()
    {
        // A check that stopped at the user name would answer a wrong one in microseconds and a right one only after
        // PBKDF2 (tens of ms): the time would tell which user names exist. The fastest of a few runs each, to ignore load.
        var access = new RpcAccess(new DaemonSettings { RpcUsername = "admin", RpcPasswordHash = PasswordHash.Create("pw") });
        static string Basic(string text) => "Basic " + Convert.ToBase64String(Encoding.UTF8.GetBytes(text));
        double Fastest(string header) => Enumerable.Range(0, 5).Min(_ =>
        {
            var watch = Stopwatch.StartNew();
            Assert.That(access.Authorized(header), Is.False);
            return watch.Elapsed.TotalMilliseconds;
        });
        var wrongPassword = Fastest(Basic("admin:wrong"));
        var wrongUser = Fastest(Basic("root:wrong"));
        TestContext.Out.WriteLine($"wrong password {wrongPassword:0.00} ms, wrong user {wrongUser:0.00} ms");
        Assert.That(wrongUser, Is.GreaterThan(wrongPassword / 3), "a wrong user name runs PBKDF2 too");
    }

    [Test]
    [CancelAfter(30_000)]
    public void Concurrent_credential_checks_are_bounded_and_the_excess_gets_429()
    {
        // No wait for a slot: of eight checks started together, two run PBKDF2 and the others are turned away at once.
        var access = new RpcAccess(new DaemonSettings { RpcUsername = "admin", RpcPasswordHash = PasswordHash.Create("pw") }, TimeSpan.Zero);
        const int Count = 8;
        var statuses = new ConcurrentBag<int>();
        using var start = new Barrier(Count);
        var threads = Enumerable.Range(0, Count).Select(i => new Thread(() =>
        {
            var context = new DefaultHttpContext();
            context.Request.Host = new HostString("127.0.0.1");
            context.Request.Headers.Authorization = "Basic " + Convert.ToBase64String(Encoding.UTF8.GetBytes($"admin:wrong{i}"));
            context.Response.Body = Stream.Null;
            start.SignalAndWait();
            access.InvokeAsync(context, _ => Task.CompletedTask).GetAwaiter().GetResult();
            statuses.Add(context.Response.StatusCode);
        })).ToList();
        threads.ForEach(t => t.Start());
        foreach (var thread in threads)
            Assert.That(thread.Join(TimeSpan.FromSeconds(20)), Is.True, "every check ends");
        TestContext.Out.WriteLine(string.Join(", ", statuses.Order()));
        Assert.Multiple(() =>
        {
            Assert.That(statuses.Count(s => s == StatusCodes.Status429TooManyRequests), Is.GreaterThan(0), "the excess is turned away");
            Assert.That(statuses.Count(s => s == StatusCodes.Status401Unauthorized), Is.InRange(1, Count - 1), "some were checked");
        });
    }

    [Test]
    public void Non_loopback_bind_without_credentials_is_refused()
    {
        Assert.Multiple(() =>
        {
            Assert.That(() => DaemonConfiguration.Validate(new DaemonSettings { RpcBind = "0.0.0.0" }), Throws.TypeOf<P2PShare.Cli.UserErrorException>());
            Assert.That(() => DaemonConfiguration.Validate(new DaemonSettings { RpcBind = "0.0.0.0", RpcUsername = "u" }), Throws.TypeOf<P2PShare.Cli.UserErrorException>());
            Assert.That(() => DaemonConfiguration.Validate(new DaemonSettings { RpcBind = "0.0.0.0", RpcUsername = "u", RpcPasswordHash = PasswordHash.Create("p") }), Throws.Nothing);
            Assert.That(() => DaemonConfiguration.Validate(new DaemonSettings { RpcBind = "127.0.0.1" }), Throws.Nothing);
            Assert.That(() => DaemonConfiguration.Validate(new DaemonSettings { RpcBind = "not-an-ip" }), Throws.TypeOf<P2PShare.Cli.UserErrorException>());
        });
    }
}
