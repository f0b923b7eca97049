using System.Text.Json;
using FsCheck;
using FsCheck.Fluent;
using P2PShare.Cli.Rpc;

namespace P2PShare.Tests.Hardening.Properties;

/// <summary>
/// FsCheck on the daemon's RPC requests: a body written by a JSON writer decodes to the same method, tag and arguments,
/// and every typed argument reader either returns the value (when it has the reader's type) or refuses it with
/// <see cref="RpcError"/>, for any JSON value (odd numbers included: fractions, exponents, beyond 64 bits, beyond double).
/// </summary>
[TestFixture]
public sealed class RpcProperties
{
    /// <summary>A JSON value as raw text.</summary>
    private static Gen<string> JsonValue(int depth)
    {
        var number = Gen.OneOf(
            Generators.Long.Select(v => v.ToString(System.Globalization.CultureInfo.InvariantCulture)),
            Gen.Choose(-100, 100).Select(v => (v / 8.0).ToString("R", System.Globalization.CultureInfo.InvariantCulture)),
            Gen.Elements("0", "-0", "1e3", "1E-3", "2.5e+2", "18446744073709551616", "-9223372036854775809", "123456789012345678901234567890", "1e308", "1e400",
                "-1e400", "4.9e-325", "2147483648", "-2147483649"));
        var text = Generators.Text(20).Select(t => JsonSerializer.Serialize(t));
        var leaf = Gen.OneOf(number, text, Gen.Elements("true", "false", "null"));
        if (depth == 0)
            return leaf;
        var child = JsonValue(depth - 1);
        var array = Generators.ListOf(child, 4).Select(items => $"[{string.Join(',', items)}]");
        var obj = Generators.ListOf(Gen.Zip(Generators.AsciiText(6), child), 4).Select(pairs =>
            "{" + string.Join(',', pairs.Select(p => $"{JsonSerializer.Serialize(p.Item1)}:{p.Item2}")) + "}");
        return Gen.Frequency((4, leaf), (1, array), (1, obj));
    }

    [Test]
    public void ABodyDecodesToItsMethodTagAndArguments() => PropertyCheck.ForAll(
        Generators.Zip(Generators.Text(30), Generators.Long, Generators.ListOf(Gen.Zip(Generators.Text(12), JsonValue(2)), 6)),
        c =>
        {
            var (method, tag, arguments) = c;
            var unique = arguments.DistinctBy(a => a.Item1).ToArray();
            var body = $"{{\"method\":{JsonSerializer.Serialize(method)},\"tag\":{tag},\"arguments\":{{" +
                string.Join(',', unique.Select(a => $"{JsonSerializer.Serialize(a.Item1)}:{a.Item2}")) + "}}";
            using var document = RpcRequest.Parse(System.Text.Encoding.UTF8.GetBytes(body));
            var request = RpcRequest.From(document.RootElement);
            Assert.That(request.Method, Is.EqualTo(method));
            Assert.That(request.Tag?.GetInt64(), Is.EqualTo(tag));
            Assert.That(request.Arguments.EnumerateObject().Select(p => p.Name), Is.EqualTo(unique.Select(a => a.Item1)));
            return true;
        });

    [Test]
    public void EveryArgumentReaderReturnsTheValueOrRefusesItWithRpcError() => PropertyCheck.ForAll(JsonValue(2), value =>
    {
        using var document = JsonDocument.Parse($"{{\"x\":{value}}}");
        var call = new RpcCall(document.RootElement);
        var element = document.RootElement.GetProperty("x");
        var kind = element.ValueKind;
        Check(() => call.String("x"), kind is JsonValueKind.String or JsonValueKind.Null, value);
        Check(() => call.Bool("x"), kind is JsonValueKind.True or JsonValueKind.False or JsonValueKind.Null || (kind == JsonValueKind.Number && element.TryGetInt64(out _)), value);
        Check(() => call.Long("x"), kind == JsonValueKind.Null || (kind == JsonValueKind.Number && element.TryGetInt64(out _)), value);
        Check(() => call.Double("x"), kind == JsonValueKind.Null || (kind == JsonValueKind.Number && element.TryGetDouble(out var d) && double.IsFinite(d)), value);
        Check(() => call.Ints("x"), kind == JsonValueKind.Null
            || (kind == JsonValueKind.Array && element.EnumerateArray().All(item => item.ValueKind == JsonValueKind.Number && item.TryGetInt32(out _))), value);
        return true;
    }, tests: 600);

    /// <summary>Regression (found by <see cref="EveryArgumentReaderReturnsTheValueOrRefusesItWithRpcError"/>): JSON's 1e400 read as
    /// infinity, which session-set took as a seeding ratio that settings.json cannot hold.</summary>
    [TestCase("1e400")]
    [TestCase("-1e400")]
    public void ANumberBeyondDoubleIsRefusedNotReadAsInfinity(string number)
    {
        using var document = JsonDocument.Parse($"{{\"seedRatioLimit\":{number}}}");

        var error = Assert.Throws<RpcError>(() => new RpcCall(document.RootElement).Double("seedRatioLimit"));

        Assert.That(error!.Message, Does.Contain("must be a number"));
    }

    /// <summary>Regression (found by the rpc-body fuzz smoke, input in fuzz/corpus/rpc-body/crash-invalid-utf8-string): a
    /// string that is not UTF-8 made GetString throw InvalidOperationException, unhandled by the endpoint for the method's
    /// name (HTTP 500). Such a body is now not JSON (400).</summary>
    [Test]
    public void ABodyThatIsNotUtf8IsRefusedAsNotJson()
    {
        byte[] body = [.. "{\"method\":\"torrent-"u8, 0xff, 0xfe, .. "get\"}"u8];

        Assert.Throws<JsonException>(() => RpcRequest.Parse(body).Dispose());
    }

    private static void Check(Func<object?> read, bool accepted, string value)
    {
        if (accepted)
            Assert.DoesNotThrow(() => read(), value);
        else
            Assert.Throws<RpcError>(() => read(), value);
    }
}
