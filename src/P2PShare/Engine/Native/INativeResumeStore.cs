namespace P2PShare.Engine.Native;

/// <summary>
/// Where a partial download keeps its <see cref="NativeResumeState"/>. Its presence means the data file
/// is incomplete, so it is saved before the data file is created and deleted only once the file is verified.
/// </summary>
internal interface INativeResumeStore
{
    /// <summary>Where the state is kept (for logs and tests).</summary>
    string Path { get; }

    bool Exists { get; }

    /// <summary>Null when there is none; throws <see cref="InvalidDataException"/> when it is damaged.</summary>
    NativeResumeState? Load();

    /// <summary>Replaces the saved state so that a crash leaves the old or the new one, never a broken one.</summary>
    void Save(NativeResumeState state);

    void Delete();
}
