package io.presync.pool;

/**
 * Where things go on a pool device, computed once at create and then stored in the superblock.
 *
 * <pre>
 *  byte 0      4096     8192                                      reservedUnits * unitBytes
 *  +----------+--------+-------------------+-------------------+--...--+------------------------+
 *  | super-   | super- | metadata slot 0   | metadata slot 1   | (pad) | allocation units ...   |
 *  | block 0  | block 1| (slotPages pages) | (slotPages pages) |       | reservedUnits..count-1 |
 *  +----------+--------+-------------------+-------------------+--...--+------------------------+
 *  slot = [maxPartitions partition entry pages][freeMapPages free-space map pages]
 * </pre>
 *
 * The free-space map can hold one more extent than the pool can have segments, so it never overflows:
 * free extents are separated by owned segments.
 */
final class PoolLayout
{
    static final long MIN_UNIT_BYTES = 64L << 10;
    static final long MAX_UNIT_BYTES = 1L << 30;
    static final int MAX_MAX_PARTITIONS = 4096;

    private PoolLayout()
    {
    }

    static int freeMapPages(final int maxPartitions)
    {
        return FreeSpaceMapDescriptor.pagesFor(maxPartitions * PartitionEntryDescriptor.MAX_SEGMENTS + 1);
    }

    static int slotPages(final int maxPartitions)
    {
        return maxPartitions + freeMapPages(maxPartitions);
    }

    static long metadataEndBytes(final int maxPartitions)
    {
        return SuperblockDescriptor.SUPERBLOCK_AREA_BYTES + 2L * slotPages(maxPartitions) * MetadataPageDescriptor.PAGE_BYTES;
    }

    static long reservedUnits(final long unitBytes, final int maxPartitions)
    {
        return (metadataEndBytes(maxPartitions) + unitBytes - 1) / unitBytes;
    }

    /** Null when a unit size is acceptable, else what is wrong with it. */
    static String checkUnit(final long unitBytes)
    {
        if (unitBytes < MIN_UNIT_BYTES || unitBytes > MAX_UNIT_BYTES || Long.bitCount(unitBytes) != 1)
        {
            return "the allocation unit must be a power of two from 64K to 1G, not " + unitBytes + " bytes";
        }
        return null;
    }

    /** A fresh superblock for a new pool (generation 0), or throws when the device is too small. */
    static Superblock forNewPool(
        final long deviceSizeBytes, final long unitBytes, final int maxPartitions, final int logicalSectorBytes,
        final long poolIdHigh, final long poolIdLow, final long nowMillis)
    {
        final Superblock sb = new Superblock();
        sb.generation = 0;
        sb.poolIdHigh = poolIdHigh;
        sb.poolIdLow = poolIdLow;
        sb.deviceSizeBytes = deviceSizeBytes;
        sb.unitBytes = unitBytes;
        sb.unitCount = deviceSizeBytes / unitBytes;
        sb.reservedUnits = reservedUnits(unitBytes, maxPartitions);
        sb.metadataOffsetBytes = SuperblockDescriptor.SUPERBLOCK_AREA_BYTES;
        sb.metadataSlotPages = slotPages(maxPartitions);
        sb.maxPartitions = maxPartitions;
        sb.partitionCount = 0;
        sb.freeMapPages = freeMapPages(maxPartitions);
        sb.freeExtentCount = 0;
        sb.createdMillis = nowMillis;
        sb.committedMillis = nowMillis;
        sb.logicalSectorBytes = logicalSectorBytes;
        return sb;
    }

    /** Null when the superblock's geometry is self-consistent, else the first inconsistency. */
    static String check(final Superblock sb)
    {
        final String unitProblem = checkUnit(sb.unitBytes);
        if (unitProblem != null)
        {
            return unitProblem;
        }
        if (sb.maxPartitions < 1 || sb.maxPartitions > MAX_MAX_PARTITIONS)
        {
            return "max partitions " + sb.maxPartitions + " out of range";
        }
        if (sb.metadataOffsetBytes != SuperblockDescriptor.SUPERBLOCK_AREA_BYTES ||
            sb.metadataSlotPages != slotPages(sb.maxPartitions) || sb.freeMapPages != freeMapPages(sb.maxPartitions) ||
            sb.reservedUnits != reservedUnits(sb.unitBytes, sb.maxPartitions))
        {
            return "metadata area geometry is inconsistent";
        }
        if (sb.unitCount <= sb.reservedUnits || sb.unitCount > sb.deviceSizeBytes / sb.unitBytes)
        {
            return "unit count " + sb.unitCount + " does not fit the device";
        }
        if (sb.partitionCount < 0 || sb.partitionCount > sb.maxPartitions)
        {
            return "partition count " + sb.partitionCount + " out of range";
        }
        if (sb.freeExtentCount < 0 ||
            FreeSpaceMapDescriptor.pagesFor(sb.freeExtentCount) > sb.freeMapPages)
        {
            return "free extent count " + sb.freeExtentCount + " out of range";
        }
        return null;
    }
}
