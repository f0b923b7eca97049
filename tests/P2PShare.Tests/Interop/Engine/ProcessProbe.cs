using System.Globalization;

namespace P2PShare.Tests.Interop.Engine;

/// <summary>What Linux's /proc says about a running process: the ports its sockets listen on, and its private memory.</summary>
internal static class ProcessProbe
{
    /// <summary>TCP ports the process listens on (IPv4 and IPv6), from its socket inodes and /proc/net/tcp{,6}.</summary>
    public static IReadOnlySet<int> TcpListenPorts(int pid) => Ports(pid, ["/proc/net/tcp", "/proc/net/tcp6"], state => state == "0A");

    /// <summary>Local ports of the process's established TCP connections (state 01), one entry per connection.</summary>
    public static IReadOnlyList<int> EstablishedLocalPorts(int pid) =>
        Sockets(pid, ["/proc/net/tcp", "/proc/net/tcp6"], state => state == "01").ToList();

    /// <summary>UDP ports the process has bound.</summary>
    public static IReadOnlySet<int> UdpPorts(int pid) => Ports(pid, ["/proc/net/udp", "/proc/net/udp6"], _ => true);

    /// <summary>Private (anonymous) resident memory in bytes: RssAnon of /proc/PID/status.</summary>
    public static long PrivateBytes(int pid)
    {
        foreach (var line in File.ReadLines($"/proc/{pid}/status"))
        {
            if (line.StartsWith("RssAnon:", StringComparison.Ordinal))
            {
                var kib = line["RssAnon:".Length..].Trim().Split(' ')[0];
                return long.Parse(kib, CultureInfo.InvariantCulture) * 1024;
            }
        }
        throw new InvalidDataException($"no RssAnon in /proc/{pid}/status");
    }

    private static HashSet<int> Ports(int pid, string[] tables, Func<string, bool> state) => [.. Sockets(pid, tables, state)];

    private static IEnumerable<int> Sockets(int pid, string[] tables, Func<string, bool> state)
    {
        var inodes = SocketInodes(pid);
        foreach (var table in tables)
        {
            if (!File.Exists(table))
            {
                continue;
            }
            // "sl local_address rem_address st tx_queue:rx_queue tr:tm->when retrnsmt uid timeout inode ..."
            foreach (var line in File.ReadLines(table).Skip(1))
            {
                var fields = line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
                if (fields.Length < 10 || !state(fields[3]) || !inodes.Contains(fields[9]))
                {
                    continue;
                }
                var local = fields[1];
                yield return int.Parse(local[(local.LastIndexOf(':') + 1)..], NumberStyles.HexNumber, CultureInfo.InvariantCulture);
            }
        }
    }

    private static HashSet<string> SocketInodes(int pid)
    {
        var inodes = new HashSet<string>(StringComparer.Ordinal);
        foreach (var fd in Directory.EnumerateFileSystemEntries($"/proc/{pid}/fd"))
        {
            try
            {
                var target = new FileInfo(fd).LinkTarget;
                if (target is not null && target.StartsWith("socket:[", StringComparison.Ordinal))
                {
                    inodes.Add(target["socket:[".Length..^1]);
                }
            }
            catch (IOException)
            {
                // Closed while we looked.
            }
            catch (UnauthorizedAccessException)
            {
            }
        }
        return inodes;
    }
}
