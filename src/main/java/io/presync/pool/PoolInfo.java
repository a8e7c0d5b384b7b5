package io.presync.pool;

/**
 * Facts about an open pool.
 *
 * @param recoveryNote null when the newest superblock was valid; else which one was not and why
 */
public record PoolInfo(
    String device,
    String poolId,
    long generation,
    long unitBytes,
    long unitCount,
    long reservedUnits,
    long freeUnits,
    long largestFreeExtentUnits,
    int partitionCount,
    int maxPartitions,
    String recoveryNote)
{
    public long freeBytes()
    {
        return freeUnits * unitBytes;
    }

    /** Bytes partitions can be given: all units except the superblocks and metadata area. */
    public long usableBytes()
    {
        return (unitCount - reservedUnits) * unitBytes;
    }
}
