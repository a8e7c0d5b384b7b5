package io.presync.stream;

/**
 * The set of byte ranges that hold data, as the aggregation needs it: how much of a range is
 * already allocated, and marking ranges allocated or free. Callers pass ranges aligned to the
 * allocation granularity.
 */
interface AllocationMap extends AutoCloseable
{
    /** Bytes of {@code [startBytes, endBytes)} that are allocated. */
    long coveredBytes(long startBytes, long endBytes);

    /** Marks {@code [startBytes, endBytes)} allocated. */
    void insert(long startBytes, long endBytes);

    /** Marks {@code [startBytes, endBytes)} free. */
    void remove(long startBytes, long endBytes);

    /** Frees off-heap memory, if any; idempotent. */
    @Override
    default void close()
    {
    }
}
