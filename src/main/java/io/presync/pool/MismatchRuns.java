package io.presync.pool;

import java.util.ArrayList;
import java.util.List;

/**
 * Coalesces per-block verdicts, noted in increasing offset order, into {@link Mismatch} ranges: a
 * block of the same kind that directly follows the current run extends it; anything else (a match,
 * the other kind, a gap between checked ranges) ends it.
 */
final class MismatchRuns
{
    private final int blockBytes;
    private final List<Mismatch> found = new ArrayList<>();
    private Mismatch.Kind runKind;
    private long runStart;
    private long runEnd;

    MismatchRuns(final int blockBytes)
    {
        this.blockBytes = blockBytes;
    }

    /** Notes the verdict of the block at {@code offset}; {@code kind} null means it matches. */
    void note(final long offset, final Mismatch.Kind kind)
    {
        if (kind != null && kind == runKind && offset == runEnd)
        {
            runEnd += blockBytes;
            return;
        }
        endRun();
        if (kind != null)
        {
            runKind = kind;
            runStart = offset;
            runEnd = offset + blockBytes;
        }
    }

    /** Ends the current run (the caller stops checking contiguous blocks). */
    void endRun()
    {
        if (runKind != null)
        {
            found.add(new Mismatch(runStart, runEnd - runStart, runKind));
            runKind = null;
        }
    }

    /** Every run so far, in the order noted. */
    List<Mismatch> finish()
    {
        endRun();
        return found;
    }
}
