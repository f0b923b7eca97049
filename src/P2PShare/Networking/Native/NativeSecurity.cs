using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace P2PShare.Networking.Native;

/// <summary>The TLS and shared-secret extensions as a node uses them.</summary>
internal sealed class NativeSecurity : IDisposable
{
    private NativeSecurity(X509Certificate2? certificate, string? secret)
    {
        Certificate = certificate;
        Secret = secret;
    }

    public static NativeSecurity None { get; } = new(null, null);

    /// <summary>Non-null when TLS is enabled: a fresh self-signed certificate for this run.</summary>
    public X509Certificate2? Certificate { get; }

    public bool UseTls => Certificate is not null;

    public string? Secret { get; }

    public static NativeSecurity Create(bool useTls, string? secret) =>
        new(useTls ? CreateSelfSignedCertificate() : null, string.IsNullOrEmpty(secret) ? null : secret);

    /// <summary>
    /// Self-signed, so TLS here gives privacy on the wire, not identity; identity in a private swarm comes
    /// from the shared secret.
    /// </summary>
    private static X509Certificate2 CreateSelfSignedCertificate()
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest("CN=p2pshare-native", key, HashAlgorithmName.SHA256);
        var now = DateTimeOffset.UtcNow;
        using var certificate = request.CreateSelfSigned(now.AddDays(-1), now.AddYears(1));
        // Round-trip through PKCS#12 so the private key is usable by SslStream on every platform.
        return X509CertificateLoader.LoadPkcs12(certificate.Export(X509ContentType.Pkcs12), password: null);
    }

    public void Dispose() => Certificate?.Dispose();
}
