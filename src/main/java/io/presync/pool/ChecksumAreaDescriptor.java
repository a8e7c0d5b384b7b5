package io.presync.pool;

/**
 * The checksum area at the start of every segment: one 12-byte record per 4 KiB data block of the
 * segment, 341 records per 4 KiB page (the last 4 bytes of a page are zero).
 * <pre>
 *  checksum page p of a segment (4096 bytes):
 *   0                   4                                      12
 *  +-------------------+---------------------------------------+
 *  | CRC32C (u32 LE)   | BlockHash64 (u64 LE)                  |  record of block 341 p + 0
 *  +-------------------+---------------------------------------+
 *  | CRC32C            | BlockHash64                           |  record of block 341 p + 1
 *  +-------------------+---------------------------------------+
 *  | ...  341 records, 4092 bytes                              |
 *  +-----------------------------------------------------------+
 *  | zero (u32)                                                |  4092
 *  +-----------------------------------------------------------+
 *  record of block b: segment start + 4096 * (b / 341) + 12 * (b % 341)
 * </pre>
 * Why two checksums: CRC32C is affine over GF(2), so a block that embeds the CRC32C of its own other
 * bytes (an ext4 superblock with metadata_csum keeps its CRC32C in its last 4 bytes) has the same
 * block CRC32C whatever it holds. {@link BlockHash} is a non-linear multiply-rotate hash that tells
 * such versions apart, so comparing a master block with the stored record needs no read of the
 * slave. The CRC32C stays for tools and for the documented format.
 */
public final class ChecksumAreaDescriptor
{
    public static final int PAGE_BYTES = 4096;
    public static final int BLOCK_BYTES = 4096;
    public static final int RECORD_BYTES = 12;
    public static final int CRC_OFFSET = 0;
    public static final int HASH_OFFSET = 4;
    /** Records per checksum page: floor(4096 / 12). */
    public static final int RECORDS_PER_PAGE = PAGE_BYTES / RECORD_BYTES;
    /**
     * CRC32C of a 4 KiB block of zeros: the record of an all-zero block (and what an unmapped block reports).
     * A constant of the format; BlockHashTest checks it against the computation.
     */
    public static final int ZERO_BLOCK_CRC = 0x98F94189;
    /** {@link BlockHash} of a 4 KiB block of zeros (see {@link #ZERO_BLOCK_CRC}). */
    public static final long ZERO_BLOCK_HASH = 0xBAA1185DD24A018FL;

    private ChecksumAreaDescriptor()
    {
    }

    /**
     * Checksum pages at the start of a segment of {@code segmentBytes}: the fewest pages {@code c} such
     * that the remaining {@code segmentBytes / 4096 - c} data blocks have a record each
     * ({@code 341 c >= blocks - c}).
     */
    public static int pagesFor(final long segmentBytes)
    {
        final long blocks = segmentBytes / BLOCK_BYTES;
        return (int)((blocks + RECORDS_PER_PAGE) / (RECORDS_PER_PAGE + 1));
    }

    /** Byte offset, from the segment's first checksum page, of the record of data block {@code block}. */
    public static long recordOffset(final long block)
    {
        return (block / RECORDS_PER_PAGE) * PAGE_BYTES + (block % RECORDS_PER_PAGE) * RECORD_BYTES;
    }
}
