package io.presync.pool;

/**
 * Life cycle of a pool partition. The code of each state is what the entry page stores; codes are
 * part of the on-disk format and never reused.
 */
public enum PartitionState
{
    /** Space reserved, no data copied yet. */
    ALLOCATED(1),
    /** A replication job is copying the master into it. */
    COPYING(2),
    /** The copy converged; verification against the master is running or pending. */
    VERIFYING(3),
    /** Verified equal to the master (and kept in sync by streaming). */
    SYNCED(4),
    /** A job failed and left the partition inconsistent; it must be copied again. */
    FAILED(5);

    private final int code;

    PartitionState(final int code)
    {
        this.code = code;
    }

    /** The value stored on disk. */
    public int code()
    {
        return code;
    }

    /** The state of an on-disk code, or null when the code is unknown. */
    static PartitionState ofCode(final int code)
    {
        for (final PartitionState state : values())
        {
            if (state.code == code)
            {
                return state;
            }
        }
        return null;
    }
}
