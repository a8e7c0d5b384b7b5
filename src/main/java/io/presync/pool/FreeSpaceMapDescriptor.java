package io.presync.pool;

/**
 * Payload of a free-space map page (metadata page type 2): the pool's free allocation units as
 * sorted, non-overlapping, non-adjacent extents {@code [startUnit, startUnit + lengthUnits)}. The map
 * is spread over consecutive pages in page-index order; the superblock's free extent count says how
 * many extents there are in total. Units below the superblock's reserved units (superblocks and
 * metadata area) never appear in it.
 *
 * <pre>
 *   0                   1                   2                   3
 *   0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 *  +---------------------------------------------------------------+
 *  |             Metadata page header (48 bytes)                   |  0
 *  +---------------------------------------------------------------+
 *  |   Extents In Page (u32)       |        zero (12 bytes)        | 48
 *  +---------------------------------------------------------------+
 *  |  Extent 0: Start Unit (u64)                                   | 64
 *  |            Length Units (u64)                                 | 72
 *  +---------------------------------------------------------------+
 *  |  Extent 1 ... up to EXTENTS_PER_PAGE                          | 80
 *  +---------------------------------------------------------------+
 *  |                CRC32C of bytes [0, 4092) (u32)                | 4092
 *  +---------------------------------------------------------------+
 * </pre>
 *
 * The map is redundant with the partitions' segments (free = all units minus reserved minus owned);
 * opening a pool checks that they agree, which catches a metadata bug before it hands out space twice.
 */
public final class FreeSpaceMapDescriptor
{
    public static final int EXTENT_COUNT_OFFSET = 48;
    public static final int EXTENTS_OFFSET = 64;
    public static final int EXTENT_BYTES = 16;
    public static final int EXTENT_START_UNIT_OFFSET = 0;
    public static final int EXTENT_LENGTH_UNITS_OFFSET = 8;
    /** (4092 - 64) / 16 = 251 extents per page. */
    public static final int EXTENTS_PER_PAGE = (MetadataPageDescriptor.CRC_OFFSET - EXTENTS_OFFSET) / EXTENT_BYTES;

    private FreeSpaceMapDescriptor()
    {
    }

    public static int extentOffset(final int index)
    {
        return EXTENTS_OFFSET + index * EXTENT_BYTES;
    }

    /** Pages needed for {@code extentCount} extents (at least one, so an empty map still has a page). */
    public static int pagesFor(final int extentCount)
    {
        return Math.max(1, (extentCount + EXTENTS_PER_PAGE - 1) / EXTENTS_PER_PAGE);
    }
}
