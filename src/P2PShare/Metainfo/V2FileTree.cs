using P2PShare.Bencode;

namespace P2PShare.Metainfo;

/// <summary>One file of a BEP 52 'file tree', in the tree's order (depth first, keys in byte order).</summary>
internal sealed record V2FileEntry(IReadOnlyList<string> PathSegments, long Length, byte[]? PiecesRoot);

/// <summary>
/// Reads a BEP 52 'file tree': nested dictionaries keyed by path component, a file being a dictionary whose only key
/// is the empty string, holding 'length' and (for a non-empty file) the 32-byte 'pieces root'.
/// </summary>
internal static class V2FileTree
{
    /// <summary>Deepest path accepted; real trees are a handful of levels.</summary>
    public const int MaxDepth = 64;

    public static List<V2FileEntry> Read(BDictionary info)
    {
        if (info["file tree"] is not BDictionary tree)
            throw new MetainfoException("v2 info has no 'file tree' dictionary");
        var files = new List<V2FileEntry>();
        Walk(tree, [], files);
        if (files.Count == 0)
            throw new MetainfoException("the v2 'file tree' has no files");
        return files;
    }

    private static void Walk(BDictionary node, List<string> path, List<V2FileEntry> files)
    {
        if (path.Count > MaxDepth)
            throw new MetainfoException($"the v2 'file tree' is nested more than {MaxDepth} levels deep");
        foreach (var (key, value) in node.Sorted())
        {
            var where = path.Count == 0 ? "file tree" : $"file tree '{string.Join('/', path)}'";
            if (key.Bytes.Length == 0)
                throw new MetainfoException($"{where}: a file entry ('' key) sits beside other names");
            var component = PathSanitizer.CheckComponent(key, where);
            if (value is not BDictionary child)
                throw new MetainfoException($"{where}: entry '{component}' is not a dictionary");
            path.Add(component);
            if (child[""] is { } leaf)
            {
                if (child.Count != 1)
                    throw new MetainfoException($"'{string.Join('/', path)}' is both a file and a directory");
                files.Add(ReadFile(leaf, path));
            }
            else if (child.Count == 0)
            {
                throw new MetainfoException($"directory '{string.Join('/', path)}' in the file tree is empty");
            }
            else
            {
                Walk(child, path, files);
            }
            path.RemoveAt(path.Count - 1);
        }
    }

    private static V2FileEntry ReadFile(BValue leaf, List<string> path)
    {
        var display = string.Join('/', path);
        if (leaf is not BDictionary entry)
            throw new MetainfoException($"file '{display}': its '' entry is not a dictionary");
        var length = entry.Get<BInteger>("length")?.Value ?? throw new MetainfoException($"file '{display}' has no 'length'");
        if (length < 0)
            throw new MetainfoException($"file '{display}' has a negative length {length}");
        byte[]? root = null;
        if (length > 0)
        {
            var rootValue = entry.Get<BString>("pieces root") ?? throw new MetainfoException($"file '{display}' has no 'pieces root'");
            if (rootValue.Bytes.Length != MerkleTree.HashSize)
                throw new MetainfoException($"file '{display}': 'pieces root' is {rootValue.Bytes.Length} bytes, not {MerkleTree.HashSize}");
            root = rootValue.Bytes.ToArray();
        }
        return new V2FileEntry([.. path], length, root);
    }
}
