package io.presync.stream;

/**
 * What a completed block request did to the device. Reads are never events: the readers count them
 * and the tap filters them out in the kernel.
 */
public enum WriteOp
{
    /** Data written to {@code [offset, offset + length)}. */
    WRITE(1),
    /** The range was discarded (TRIM/UNMAP): its content is now undefined or zero. */
    DISCARD(2),
    /** The range was set to zeroes without data transfer (REQ_OP_WRITE_ZEROES). */
    WRITE_ZEROES(3),
    /** A cache flush completed: every write that completed before it is durable. No range. */
    FLUSH(4),
    /**
     * Events were lost (the kernel's trace buffer overran); {@link WriteEvent#lostCount()} says how
     * many when known. The range is the whole device: the replication must fall back to a checksum
     * comparison.
     */
    LOST(5);

    private static final WriteOp[] BY_CODE = {null, WRITE, DISCARD, WRITE_ZEROES, FLUSH, LOST};

    private final int code;

    WriteOp(final int code)
    {
        this.code = code;
    }

    /** The stable on-disk code of the write log (1..5). */
    public int code()
    {
        return code;
    }

    /** The op with this on-disk code, or null when the code is unknown. */
    public static WriteOp ofCode(final int code)
    {
        return code > 0 && code < BY_CODE.length ? BY_CODE[code] : null;
    }

    /** True for ops that change data in a range (write, discard, write-zeroes). */
    public boolean changesData()
    {
        return this == WRITE || this == DISCARD || this == WRITE_ZEROES;
    }
}
