using NUnit.Framework.Constraints;

namespace P2PShare.Tests.Support;

/// <summary>Entry point in the style of NUnit's <c>Is</c>: <c>Assert.That(actual, SameBytes.As(expected))</c>.</summary>
internal static class SameBytes
{
    public static Constraint As(object? expected) => new SameBytesConstraint(expected);
}
