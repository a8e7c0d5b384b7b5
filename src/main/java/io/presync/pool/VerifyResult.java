package io.presync.pool;

import java.util.List;

/**
 * What {@link Verifier#verify} found.
 *
 * @param mismatches   in logical offset order, coalesced per kind
 * @param checkedBytes logical bytes compared (the whole partition, or the ranges asked for)
 */
public record VerifyResult(List<Mismatch> mismatches, long checkedBytes)
{
    public VerifyResult
    {
        mismatches = List.copyOf(mismatches);
    }

    /** True when no block mismatches. */
    public boolean consistent()
    {
        return mismatches.isEmpty();
    }

    /** Bytes in mismatching blocks of {@code kind}. */
    public long mismatchBytes(final Mismatch.Kind kind)
    {
        long bytes = 0;
        for (final Mismatch m : mismatches)
        {
            if (m.kind() == kind)
            {
                bytes += m.lengthBytes();
            }
        }
        return bytes;
    }
}
