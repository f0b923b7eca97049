using System.Collections;
using System.Diagnostics.CodeAnalysis;

namespace P2PShare.Bencode;

/// <summary>A bencode dictionary. Keys are byte strings; encoding sorts them by raw bytes.</summary>
internal sealed class BDictionary : BValue, IEnumerable<KeyValuePair<BString, BValue>>
{
    private readonly Dictionary<BString, BValue> _items = [];

    public int Count => _items.Count;

    public IEnumerable<BString> Keys => _items.Keys;

    public BValue? this[string key]
    {
        get => _items.GetValueOrDefault(new BString(key));
        set => Set(new BString(key), value);
    }

    public bool ContainsKey(string key) => _items.ContainsKey(new BString(key));

    /// <summary>Adds a key read from input; false when the key is already present.</summary>
    internal bool TryAddDecoded(BString key, BValue value) => _items.TryAdd(key, value);

    public void Set(BString key, BValue? value)
    {
        if (value is null)
            _items.Remove(key);
        else
            _items[key] = value;
    }

    public bool TryGet<T>(string key, [NotNullWhen(true)] out T? value) where T : BValue
    {
        value = this[key] as T;
        return value is not null;
    }

    public T? Get<T>(string key) where T : BValue => this[key] as T;

    public IEnumerable<KeyValuePair<BString, BValue>> Sorted() => _items.OrderBy(pair => pair.Key);

    public IEnumerator<KeyValuePair<BString, BValue>> GetEnumerator() => _items.GetEnumerator();

    IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();
}
