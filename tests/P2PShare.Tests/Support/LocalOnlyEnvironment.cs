using System.Runtime.CompilerServices;

namespace P2PShare.Tests.Support;

/// <summary>
/// Every test, and every process a test starts (they inherit the environment), runs with P2PSHARE_LOCAL_ONLY=1:
/// no port mapping requests to the default gateway, no LSD multicast, no DHT routers. Only the namespace tests
/// (tests/.../Interop/Nat) switch it off, for processes inside network namespaces of their own.
/// </summary>
internal static class LocalOnlyEnvironment
{
    public const string Variable = "P2PSHARE_LOCAL_ONLY";

    [ModuleInitializer]
    internal static void Apply() => Environment.SetEnvironmentVariable(Variable, "1");
}
