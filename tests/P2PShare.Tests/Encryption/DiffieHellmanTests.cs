using System.Numerics;
using P2PShare.Networking.Encryption;

namespace P2PShare.Tests.Encryption;

public class DiffieHellmanTests
{
    [Test]
    public void Prime_is_the_768_bit_Oakley_group_1_prime()
    {
        var prime = DiffieHellman.PrimeBytes.ToArray();
        Assert.That(prime, Has.Length.EqualTo(96));
        Assert.That(Convert.ToHexString(prime.AsSpan(0, 8)), Is.EqualTo("FFFFFFFFFFFFFFFF"));
        Assert.That(Convert.ToHexString(prime.AsSpan(84)), Is.EqualTo("A63A36210000000000090563"));
        // A Fermat check: 2^(p-1) = 1 mod p.
        var p = new BigInteger(prime, isUnsigned: true, isBigEndian: true);
        Assert.That(BigInteger.ModPow(2, p - 1, p), Is.EqualTo(BigInteger.One));
    }

    [Test]
    public void Public_key_of_a_known_private_key_is_two_to_that_power()
    {
        var keys = new DiffieHellman([0x0A]); // 2^10
        Assert.That(keys.PublicKey, Has.Length.EqualTo(96));
        Assert.That(keys.PublicKey.AsSpan(0, 94).IndexOfAnyExcept((byte)0), Is.EqualTo(-1));
        Assert.That(keys.PublicKey[94..], Is.EqualTo(new byte[] { 0x04, 0x00 }));
    }

    [Test]
    public void Both_sides_compute_the_same_secret()
    {
        var a = new DiffieHellman();
        var b = new DiffieHellman();
        Assert.That(a.PublicKey, Is.Not.EqualTo(b.PublicKey));
        var secretA = a.ComputeSecret(b.PublicKey);
        var secretB = b.ComputeSecret(a.PublicKey);
        Assert.That(secretA, Has.Length.EqualTo(96));
        Assert.That(secretA, Is.EqualTo(secretB));
    }

    [Test]
    public void Refuses_degenerate_public_keys()
    {
        var keys = new DiffieHellman();
        var zero = new byte[96];
        var one = new byte[96];
        one[^1] = 1;
        var pMinusOne = DiffieHellman.PrimeBytes.ToArray();
        pMinusOne[^1]--;
        Assert.Multiple(() =>
        {
            Assert.That(() => keys.ComputeSecret(zero), Throws.TypeOf<MseHandshakeException>());
            Assert.That(() => keys.ComputeSecret(one), Throws.TypeOf<MseHandshakeException>());
            Assert.That(() => keys.ComputeSecret(pMinusOne), Throws.TypeOf<MseHandshakeException>());
            Assert.That(() => keys.ComputeSecret(DiffieHellman.PrimeBytes.ToArray()), Throws.TypeOf<MseHandshakeException>());
            Assert.That(() => keys.ComputeSecret(new byte[95]), Throws.TypeOf<MseHandshakeException>());
        });
    }
}
