using FsCheck;
using FsCheck.Fluent;

namespace P2PShare.Tests.Hardening.Properties;

/// <summary>
/// Runs one FsCheck property from an NUnit test: <paramref name="holds"/> on <paramref name="tests"/> generated values;
/// a failure (false or an exception, NUnit assertions included) is shrunk and reported with FsCheck's replay seed.
/// </summary>
internal static class PropertyCheck
{
    public static void ForAll<T>(Gen<T> generator, Func<T, bool> holds, int tests = 300) =>
        Check.One(Config.QuickThrowOnFailure.WithMaxTest(tests).WithQuietOnSuccess(true), Prop.ForAll(generator.ToArbitrary(), holds));
}
