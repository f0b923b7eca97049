namespace P2PShare.Storage;

/// <summary>The outcome of loading resume data: the data, or why there is none to use (never an exception).</summary>
internal sealed record ResumeLoadResult(ResumeLoadStatus Status, ResumeData? Data, string Reason)
{
    public static ResumeLoadResult Loaded(ResumeData data) => new(ResumeLoadStatus.Loaded, data, "resume data loaded");

    public static ResumeLoadResult Missing { get; } = new(ResumeLoadStatus.Missing, null, "no resume data");

    public static ResumeLoadResult Damaged(string why) => new(ResumeLoadStatus.Damaged, null, $"resume data damaged: {why}");
}
