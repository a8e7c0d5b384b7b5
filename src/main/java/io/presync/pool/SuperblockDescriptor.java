package io.presync.pool;

/**
 * Layout of a pool superblock: one 4 KiB page, little-endian, two copies at byte 0 (superblock 0) and
 * byte 4096 (superblock 1). A commit of generation {@code g} writes superblock {@code g & 1} and the
 * metadata slot {@code g & 1}, so the other superblock and slot still describe generation {@code g - 1}
 * intact until the new superblock is durable. On open the valid superblock with the highest
 * generation whose metadata pages are also valid wins.
 *
 * <pre>
 *   0                   1                   2                   3
 *   0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 *  +---------------------------------------------------------------+
 *  |                 Magic "PRESYNC1" (8 bytes)                    |  0
 *  +---------------------------------------------------------------+
 *  |                        Format Version (u32)                   |  8
 *  +---------------------------------------------------------------+
 *  |                        Flags (u32, 0)                         | 12
 *  +---------------------------------------------------------------+
 *  |                        Generation (u64)                       | 16
 *  +---------------------------------------------------------------+
 *  |                 Pool Id (128-bit, random at create)           | 24
 *  +---------------------------------------------------------------+
 *  |                  Device Size Bytes at create (u64)            | 40
 *  +---------------------------------------------------------------+
 *  |                     Allocation Unit Bytes (u64)               | 48
 *  +---------------------------------------------------------------+
 *  |                     Unit Count (u64, whole pool)              | 56
 *  +---------------------------------------------------------------+
 *  |      Reserved Units (u64, superblocks + metadata area)        | 64
 *  +---------------------------------------------------------------+
 *  |                Metadata Area Offset Bytes (u64)               | 72
 *  +---------------------------------------------------------------+
 *  |   Metadata Slot Pages (u32)   |     Active Slot (u32, g&1)    | 80
 *  +---------------------------------------------------------------+
 *  |     Max Partitions (u32)      |    Partition Count (u32)      | 88
 *  +---------------------------------------------------------------+
 *  |     Free Map Pages (u32)      |   Free Extent Count (u32)     | 96
 *  +---------------------------------------------------------------+
 *  |                   Created Epoch Millis (u64)                  | 104
 *  +---------------------------------------------------------------+
 *  |                  Committed Epoch Millis (u64)                 | 112
 *  +---------------------------------------------------------------+
 *  |  Logical Sector Bytes (u32)   |        zero ... 4091          | 120
 *  +---------------------------------------------------------------+
 *  |                CRC32C of bytes [0, 4092) (u32)                | 4092
 *  +---------------------------------------------------------------+
 * </pre>
 */
public final class SuperblockDescriptor
{
    /** Bytes of one superblock copy. */
    public static final int SUPERBLOCK_BYTES = 4096;
    /** Number of superblock copies at the start of the device. */
    public static final int SUPERBLOCK_COUNT = 2;
    /** Byte offset of superblock {@code i} is {@code i * SUPERBLOCK_BYTES}. */
    public static final int SUPERBLOCK_AREA_BYTES = SUPERBLOCK_BYTES * SUPERBLOCK_COUNT;

    /** "PRESYNC1" as it appears on disk, byte by byte. */
    public static final byte[] MAGIC = {'P', 'R', 'E', 'S', 'Y', 'N', 'C', '1'};
    /** Version 2: copy-on-write overwrites, extent map as a shadowed B-tree, job-state blob, 12-byte checksum records (CRC32C + BlockHash). */
    public static final int FORMAT_VERSION = 2;

    public static final int MAGIC_OFFSET = 0;
    public static final int FORMAT_VERSION_OFFSET = 8;
    public static final int FLAGS_OFFSET = 12;
    public static final int GENERATION_OFFSET = 16;
    public static final int POOL_ID_OFFSET = 24;
    public static final int DEVICE_SIZE_BYTES_OFFSET = 40;
    public static final int UNIT_BYTES_OFFSET = 48;
    public static final int UNIT_COUNT_OFFSET = 56;
    public static final int RESERVED_UNITS_OFFSET = 64;
    public static final int METADATA_OFFSET_BYTES_OFFSET = 72;
    public static final int METADATA_SLOT_PAGES_OFFSET = 80;
    public static final int ACTIVE_SLOT_OFFSET = 84;
    public static final int MAX_PARTITIONS_OFFSET = 88;
    public static final int PARTITION_COUNT_OFFSET = 92;
    public static final int FREE_MAP_PAGES_OFFSET = 96;
    public static final int FREE_EXTENT_COUNT_OFFSET = 100;
    public static final int CREATED_MILLIS_OFFSET = 104;
    public static final int COMMITTED_MILLIS_OFFSET = 112;
    public static final int LOGICAL_SECTOR_BYTES_OFFSET = 120;
    /** First byte after the defined fields; the rest up to the CRC is zero in version 1. */
    public static final int FIELDS_END_OFFSET = 124;
    public static final int CRC_OFFSET = SUPERBLOCK_BYTES - 4;

    private SuperblockDescriptor()
    {
    }

    /** Byte offset on the device of superblock copy {@code index} (0 or 1). */
    public static long superblockOffset(final int index)
    {
        return (long)index * SUPERBLOCK_BYTES;
    }
}
