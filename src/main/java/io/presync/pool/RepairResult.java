package io.presync.pool;

import java.util.List;

/**
 * What {@link Repairer#repair} did.
 *
 * @param before        the verification that found the ranges (for {@link Repairer#repair(java.nio.file.Path,
 *                      java.nio.file.Path, String)}), or the ranges the caller handed in
 * @param repaired      the ranges re-transferred from the master
 * @param repairedBytes their total length
 * @param after         the verification of exactly those ranges after the commit
 */
public record RepairResult(VerifyResult before, List<Mismatch> repaired, long repairedBytes, VerifyResult after)
{
    public RepairResult
    {
        repaired = List.copyOf(repaired);
    }

    /** True when the re-verification found nothing left to repair. */
    public boolean consistent()
    {
        return after.consistent();
    }
}
