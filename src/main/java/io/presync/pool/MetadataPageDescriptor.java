package io.presync.pool;

/**
 * Header and trailer shared by every metadata page (partition entries and free-space map pages):
 * 4 KiB, little-endian, a 48-byte header and a CRC32C in the last four bytes. The header names the
 * page type, its index within its structure, the generation that wrote it and the pool it belongs
 * to, so a page left over from an older generation or another pool is rejected even when its CRC
 * is intact.
 *
 * <pre>
 *   0                   1                   2                   3
 *   0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 *  +---------------------------------------------------------------+
 *  |                 Magic "PSYNMETA" (8 bytes)                    |  0
 *  +---------------------------------------------------------------+
 *  |       Page Type (u32)         |       Page Index (u32)        |  8
 *  +---------------------------------------------------------------+
 *  |                        Generation (u64)                       | 16
 *  +---------------------------------------------------------------+
 *  |                   Pool Id (128-bit)                           | 24
 *  +---------------------------------------------------------------+
 *  |                    zero (8 bytes)                             | 40
 *  +---------------------------------------------------------------+
 *  |                 Payload (type specific) ...                   | 48
 *  +---------------------------------------------------------------+
 *  |                CRC32C of bytes [0, 4092) (u32)                | 4092
 *  +---------------------------------------------------------------+
 * </pre>
 *
 * Metadata pages live in the metadata area right after the two superblocks. The area holds two
 * slots of {@code metadataSlotPages} pages each; slot {@code s} starts at
 * {@code metadataOffsetBytes + s * metadataSlotPages * 4096}. Within a slot, pages
 * {@code [0, maxPartitions)} are partition entries (only the first {@code partitionCount} are
 * written and read) and pages {@code [maxPartitions, maxPartitions + freeMapPages)} hold the free
 * space map (only as many as {@code freeExtentCount} needs).
 */
public final class MetadataPageDescriptor
{
    public static final int PAGE_BYTES = 4096;
    public static final byte[] MAGIC = {'P', 'S', 'Y', 'N', 'M', 'E', 'T', 'A'};

    public static final int TYPE_PARTITION = 1;
    public static final int TYPE_FREE_MAP = 2;

    public static final int MAGIC_OFFSET = 0;
    public static final int PAGE_TYPE_OFFSET = 8;
    public static final int PAGE_INDEX_OFFSET = 12;
    public static final int GENERATION_OFFSET = 16;
    public static final int POOL_ID_OFFSET = 24;
    public static final int HEADER_BYTES = 48;
    public static final int CRC_OFFSET = PAGE_BYTES - 4;

    private MetadataPageDescriptor()
    {
    }
}
