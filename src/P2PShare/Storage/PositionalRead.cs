using Microsoft.Win32.SafeHandles;

namespace P2PShare.Storage;

/// <summary>A positional read may return fewer bytes than asked for; these read until the buffer is full.</summary>
internal static class PositionalRead
{
    /// <summary>Reads from <paramref name="offset"/> until <paramref name="destination"/> is full or the file ends; returns the bytes read.</summary>
    public static async ValueTask<int> FillAsync(SafeFileHandle handle, Memory<byte> destination, long offset, CancellationToken cancellationToken)
    {
        var done = 0;
        while (done < destination.Length)
        {
            var read = await RandomAccess.ReadAsync(handle, destination[done..], offset + done, cancellationToken).ConfigureAwait(false);
            if (read == 0)
                break;
            done += read;
        }
        return done;
    }
}
