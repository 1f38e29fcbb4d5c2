namespace Vigil.Server.Recording;

/// <summary>When a predict request is answered relative to the write of its prediction records (docs/operations.md, "Recorder durability").</summary>
public enum RecorderDurability
{
    /// <summary>
    /// The default: the answer goes out at once and the record is written by the recorder's next batch (after at most
    /// the linger). Fastest; a crash of the process (kill -9, out of memory) loses the records still queued: the answers of
    /// roughly the last linger plus one write.
    /// </summary>
    Async,

    /// <summary>
    /// The answer waits until its records are committed to the store (group commit: every request waiting when a batch
    /// starts shares its transaction), so every answered prediction survives a crash of the process. A request whose
    /// records cannot be committed within <see cref="Hosting.VigilServerOptions.RecorderCommitTimeout"/>, or that finds
    /// the recorder's channel full, is answered 503 instead of 200.
    /// </summary>
    Commit,
}
