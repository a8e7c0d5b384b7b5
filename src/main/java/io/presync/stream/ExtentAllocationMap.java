package io.presync.stream;

import io.presync.btree.ExtentMap;

/**
 * The aggregation's allocation map on the project's off-heap {@link ExtentMap} (one payload for
 * "allocated", so touching writes merge into one extent): memory grows with the number of
 * allocated runs rather than with the address space, which suits sparse multi-terabyte devices.
 */
final class ExtentAllocationMap implements AllocationMap
{
    private static final long ALLOCATED = 1;

    private final ExtentMap extents;

    ExtentAllocationMap()
    {
        this(ExtentMap.inMemory());
    }

    ExtentAllocationMap(final ExtentMap extents)
    {
        this.extents = extents;
    }

    @Override
    public long coveredBytes(final long startBytes, final long endBytes)
    {
        return extents.coveredBytes(startBytes, endBytes);
    }

    @Override
    public void insert(final long startBytes, final long endBytes)
    {
        extents.insert(startBytes, endBytes, ALLOCATED);
    }

    @Override
    public void remove(final long startBytes, final long endBytes)
    {
        extents.remove(startBytes, endBytes);
    }

    @Override
    public void close()
    {
        extents.close();
    }
}
