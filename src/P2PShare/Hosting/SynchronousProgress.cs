namespace P2PShare.Hosting;

/// <summary>Reports on the reporting thread, so every report has been shown by the time the work returns.</summary>
internal sealed class SynchronousProgress<T>(Action<T> report) : IProgress<T>
{
    public void Report(T value) => report(value);
}
