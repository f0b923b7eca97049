using System.Collections;

namespace P2PShare.Bencode;

internal sealed class BList : BValue, IReadOnlyList<BValue>
{
    private readonly List<BValue> _items;

    public BList() => _items = [];

    public BList(IEnumerable<BValue> items) => _items = [.. items];

    public int Count => _items.Count;

    public BValue this[int index] => _items[index];

    public void Add(BValue value) => _items.Add(value);

    public IEnumerator<BValue> GetEnumerator() => _items.GetEnumerator();

    IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();
}
