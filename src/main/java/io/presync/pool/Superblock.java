package io.presync.pool;

import java.nio.ByteBuffer;

import static io.presync.pool.SuperblockDescriptor.*;

/**
 * One decoded superblock (see {@link SuperblockDescriptor} for the layout). Mutable only while a
 * commit prepares the next generation.
 */
final class Superblock
{
    long generation;
    long poolIdHigh;
    long poolIdLow;
    long deviceSizeBytes;
    long unitBytes;
    long unitCount;
    long reservedUnits;
    long metadataOffsetBytes;
    int metadataSlotPages;
    int maxPartitions;
    int partitionCount;
    int freeMapPages;
    int freeExtentCount;
    long createdMillis;
    long committedMillis;
    int logicalSectorBytes;

    Superblock copy()
    {
        final Superblock c = new Superblock();
        c.generation = generation;
        c.poolIdHigh = poolIdHigh;
        c.poolIdLow = poolIdLow;
        c.deviceSizeBytes = deviceSizeBytes;
        c.unitBytes = unitBytes;
        c.unitCount = unitCount;
        c.reservedUnits = reservedUnits;
        c.metadataOffsetBytes = metadataOffsetBytes;
        c.metadataSlotPages = metadataSlotPages;
        c.maxPartitions = maxPartitions;
        c.partitionCount = partitionCount;
        c.freeMapPages = freeMapPages;
        c.freeExtentCount = freeExtentCount;
        c.createdMillis = createdMillis;
        c.committedMillis = committedMillis;
        c.logicalSectorBytes = logicalSectorBytes;
        return c;
    }

    /** Slot (and superblock copy) of this generation. */
    int activeSlot()
    {
        return (int)(generation & 1);
    }

    /** Byte offset of metadata page {@code pageInSlot} of this generation's slot. */
    long metadataPageOffset(final int pageInSlot)
    {
        return metadataOffsetBytes + ((long)activeSlot() * metadataSlotPages + pageInSlot) * MetadataPageDescriptor.PAGE_BYTES;
    }

    void encode(final ByteBuffer page)
    {
        MetadataPages.clear(page);
        MetadataPages.putBytes(page, MAGIC_OFFSET, MAGIC);
        page.putInt(FORMAT_VERSION_OFFSET, FORMAT_VERSION);
        page.putInt(FLAGS_OFFSET, 0);
        page.putLong(GENERATION_OFFSET, generation);
        page.putLong(POOL_ID_OFFSET, poolIdHigh);
        page.putLong(POOL_ID_OFFSET + 8, poolIdLow);
        page.putLong(DEVICE_SIZE_BYTES_OFFSET, deviceSizeBytes);
        page.putLong(UNIT_BYTES_OFFSET, unitBytes);
        page.putLong(UNIT_COUNT_OFFSET, unitCount);
        page.putLong(RESERVED_UNITS_OFFSET, reservedUnits);
        page.putLong(METADATA_OFFSET_BYTES_OFFSET, metadataOffsetBytes);
        page.putInt(METADATA_SLOT_PAGES_OFFSET, metadataSlotPages);
        page.putInt(ACTIVE_SLOT_OFFSET, activeSlot());
        page.putInt(MAX_PARTITIONS_OFFSET, maxPartitions);
        page.putInt(PARTITION_COUNT_OFFSET, partitionCount);
        page.putInt(FREE_MAP_PAGES_OFFSET, freeMapPages);
        page.putInt(FREE_EXTENT_COUNT_OFFSET, freeExtentCount);
        page.putLong(CREATED_MILLIS_OFFSET, createdMillis);
        page.putLong(COMMITTED_MILLIS_OFFSET, committedMillis);
        page.putInt(LOGICAL_SECTOR_BYTES_OFFSET, logicalSectorBytes);
        MetadataPages.seal(page);
    }

    /** True when the page starts with the superblock magic (valid or not). */
    static boolean hasMagic(final ByteBuffer page)
    {
        return MetadataPages.bytesEqual(page, MAGIC_OFFSET, MAGIC);
    }

    /**
     * Decodes and checks superblock copy {@code index}.
     *
     * @throws CorruptMetadataException naming the first check that failed.
     */
    static Superblock decode(final ByteBuffer page, final int index) throws CorruptMetadataException
    {
        if (!hasMagic(page))
        {
            throw new CorruptMetadataException("no PRESYNC1 magic");
        }
        if (!MetadataPages.crcMatches(page))
        {
            throw new CorruptMetadataException("bad CRC32C");
        }
        final int version = page.getInt(FORMAT_VERSION_OFFSET);
        if (version != FORMAT_VERSION)
        {
            throw new CorruptMetadataException("format version " + version + " (this presync reads " + FORMAT_VERSION + ")");
        }
        final Superblock sb = new Superblock();
        sb.generation = page.getLong(GENERATION_OFFSET);
        sb.poolIdHigh = page.getLong(POOL_ID_OFFSET);
        sb.poolIdLow = page.getLong(POOL_ID_OFFSET + 8);
        sb.deviceSizeBytes = page.getLong(DEVICE_SIZE_BYTES_OFFSET);
        sb.unitBytes = page.getLong(UNIT_BYTES_OFFSET);
        sb.unitCount = page.getLong(UNIT_COUNT_OFFSET);
        sb.reservedUnits = page.getLong(RESERVED_UNITS_OFFSET);
        sb.metadataOffsetBytes = page.getLong(METADATA_OFFSET_BYTES_OFFSET);
        sb.metadataSlotPages = page.getInt(METADATA_SLOT_PAGES_OFFSET);
        final int activeSlot = page.getInt(ACTIVE_SLOT_OFFSET);
        sb.maxPartitions = page.getInt(MAX_PARTITIONS_OFFSET);
        sb.partitionCount = page.getInt(PARTITION_COUNT_OFFSET);
        sb.freeMapPages = page.getInt(FREE_MAP_PAGES_OFFSET);
        sb.freeExtentCount = page.getInt(FREE_EXTENT_COUNT_OFFSET);
        sb.createdMillis = page.getLong(CREATED_MILLIS_OFFSET);
        sb.committedMillis = page.getLong(COMMITTED_MILLIS_OFFSET);
        sb.logicalSectorBytes = page.getInt(LOGICAL_SECTOR_BYTES_OFFSET);
        if (page.getInt(FLAGS_OFFSET) != 0 || !MetadataPages.allZero(page, FIELDS_END_OFFSET, CRC_OFFSET))
        {
            throw new CorruptMetadataException("unknown flags or non-zero reserved bytes");
        }
        if ((sb.generation & 1) != index || activeSlot != index || sb.generation < 0)
        {
            throw new CorruptMetadataException("generation " + sb.generation + " and slot " + activeSlot +
                " do not belong in superblock " + index);
        }
        final String layoutProblem = PoolLayout.check(sb);
        if (layoutProblem != null)
        {
            throw new CorruptMetadataException(layoutProblem);
        }
        return sb;
    }
}
