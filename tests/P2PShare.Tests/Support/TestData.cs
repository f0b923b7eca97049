using System.Security.Cryptography;
using System.Text;

namespace P2PShare.Tests.Support;

/// <summary>Deterministic random test data, and SHA-256 digests of files and trees to compare results.</summary>
public static class TestData
{
    private const int ChunkSize = 1 << 20;

    /// <summary>Writes <paramref name="size"/> pseudo-random bytes from <paramref name="seed"/> to <paramref name="path"/> (parents created).</summary>
    public static string CreateFile(string path, long size, int seed)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(size);
        var directory = Path.GetDirectoryName(Path.GetFullPath(path));
        if (directory is not null)
        {
            Directory.CreateDirectory(directory);
        }
        var random = new Random(seed);
        var buffer = new byte[(int)Math.Min(ChunkSize, Math.Max(size, 1))];
        using var stream = new FileStream(path, FileMode.Create, FileAccess.Write, FileShare.None, 1 << 16);
        for (var remaining = size; remaining > 0;)
        {
            var count = (int)Math.Min(buffer.Length, remaining);
            random.NextBytes(buffer.AsSpan(0, count));
            stream.Write(buffer, 0, count);
            remaining -= count;
        }
        return Path.GetFullPath(path);
    }

    /// <summary>
    /// Creates files under <paramref name="root"/>: relative paths (with '/' separators) and sizes.
    /// Each file gets its own seed derived from <paramref name="seed"/> and its index.
    /// </summary>
    public static string CreateTree(string root, IEnumerable<(string RelativePath, long Size)> files, int seed)
    {
        Directory.CreateDirectory(root);
        var index = 0;
        foreach (var (relativePath, size) in files)
        {
            var parts = relativePath.Split('/', StringSplitOptions.RemoveEmptyEntries);
            if (parts.Length == 0 || parts.Any(p => p is "." or ".."))
            {
                throw new ArgumentException($"bad relative path '{relativePath}'", nameof(files));
            }
            CreateFile(Path.Combine([root, .. parts]), size, unchecked(seed * 31 + index++));
        }
        return Path.GetFullPath(root);
    }

    /// <summary>Lowercase hex SHA-256 of a file's contents.</summary>
    public static string Sha256File(string path)
    {
        using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite, 1 << 16);
        return Convert.ToHexStringLower(SHA256.HashData(stream));
    }

    /// <summary>
    /// Lowercase hex SHA-256 over a directory tree: for each file in ordinal order of its relative path
    /// ('/' separators), the path, its length and its contents. Empty directories do not count.
    /// A file path gives the same as <see cref="Sha256File"/>.
    /// </summary>
    public static string Sha256Tree(string root)
    {
        if (File.Exists(root))
        {
            return Sha256File(root);
        }
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        var files = Directory.EnumerateFiles(root, "*", SearchOption.AllDirectories)
            .Select(f => (Full: f, Relative: Path.GetRelativePath(root, f).Replace(Path.DirectorySeparatorChar, '/')))
            .OrderBy(f => f.Relative, StringComparer.Ordinal);
        var buffer = new byte[1 << 16];
        foreach (var (full, relative) in files)
        {
            hash.AppendData(Encoding.UTF8.GetBytes(relative));
            hash.AppendData([0]);
            var length = new FileInfo(full).Length;
            hash.AppendData(BitConverter.GetBytes(length));
            using var stream = new FileStream(full, FileMode.Open, FileAccess.Read, FileShare.ReadWrite, 1 << 16);
            int read;
            while ((read = stream.Read(buffer, 0, buffer.Length)) > 0)
            {
                hash.AppendData(buffer, 0, read);
            }
        }
        return Convert.ToHexStringLower(hash.GetHashAndReset());
    }
}
