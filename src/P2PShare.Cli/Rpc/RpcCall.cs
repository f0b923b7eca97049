using System.Text.Json;

namespace P2PShare.Cli.Rpc;

/// <summary>One decoded request: the method's arguments (an empty object when none were sent).</summary>
internal sealed class RpcCall(JsonElement arguments)
{
    public JsonElement Arguments => arguments;

    public bool Has(string name) => arguments.ValueKind == JsonValueKind.Object && arguments.TryGetProperty(name, out var value) && value.ValueKind != JsonValueKind.Null;

    public JsonElement? Get(string name) =>
        arguments.ValueKind == JsonValueKind.Object && arguments.TryGetProperty(name, out var value) && value.ValueKind != JsonValueKind.Null ? value : null;

    public string? String(string name) => Get(name) switch
    {
        null => null,
        { ValueKind: JsonValueKind.String } value => value.GetString(),
        _ => throw new RpcError($"argument '{name}' must be a string"),
    };

    public bool? Bool(string name) => Get(name) switch
    {
        null => null,
        { ValueKind: JsonValueKind.True } => true,
        { ValueKind: JsonValueKind.False } => false,
        // transmission-remote 3.00 sends some flags as 0/1.
        { ValueKind: JsonValueKind.Number } value when value.TryGetInt64(out var number) => number != 0,
        _ => throw new RpcError($"argument '{name}' must be true or false"),
    };

    public long? Long(string name) => Get(name) switch
    {
        null => null,
        { ValueKind: JsonValueKind.Number } value when value.TryGetInt64(out var number) => number,
        _ => throw new RpcError($"argument '{name}' must be a whole number"),
    };

    /// <summary>A finite number: JSON allows 1e400, which would read as infinity (and then fail to save in settings.json).</summary>
    public double? Double(string name) => Get(name) switch
    {
        null => null,
        { ValueKind: JsonValueKind.Number } value when value.TryGetDouble(out var number) && double.IsFinite(number) => number,
        _ => throw new RpcError($"argument '{name}' must be a number"),
    };

    /// <summary>An array of whole numbers (file indexes); bounded by the request size.</summary>
    public IReadOnlyList<int>? Ints(string name)
    {
        if (Get(name) is not { } value)
            return null;
        if (value.ValueKind != JsonValueKind.Array)
            throw new RpcError($"argument '{name}' must be an array of numbers");
        var list = new List<int>(value.GetArrayLength());
        foreach (var item in value.EnumerateArray())
        {
            if (item.ValueKind != JsonValueKind.Number || !item.TryGetInt32(out var number))
                throw new RpcError($"argument '{name}' must be an array of numbers");
            list.Add(number);
        }
        return list;
    }
}
