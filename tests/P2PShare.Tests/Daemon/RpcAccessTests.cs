using System.Text;
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
