package io.presync.pool;

/**
 * Header page of a partition's job-state blob (format version 2): one 4 KiB page in the partition's
 * data space, pointed at by the partition entry, listing where the blob's bytes lie. Written by a
 * commit to free space (never over the committed blob), so the entry switches from the old blob to the
 * new one atomically with the superblock; the old pages are freed after that commit.
 *
 * <pre>
 *   0                   1                   2                   3
 *   0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 *  +---------------------------------------------------------------+
 *  |                 Magic "PSJOBST1" (u64)                        |  0
 *  +---------------------------------------------------------------+
 *  |      Page Id (u64, data-space page + 1, of this page)         |  8
 *  +---------------------------------------------------------------+
 *  |                 Blob Bytes (u64)                              | 16
 *  +---------------------------------------------------------------+
 *  |   Blob CRC32C (u32)           |   Piece Count (u32)           | 24
 *  +---------------------------------------------------------------+
 *  |  Piece 0: Data Offset (u64)                                   | 32
 *  |           Length Bytes (u64, multiple of 4096)                | 40
 *  +---------------------------------------------------------------+
 *  |  Piece 1 ... up to MAX_PIECES                                 | 48
 *  +---------------------------------------------------------------+
 *  |                CRC32C of bytes [0, 4092) (u32)                | 4092
 *  +---------------------------------------------------------------+
 * </pre>
 *
 * The blob is the concatenation of the pieces (4 KiB multiples) cut to Blob Bytes; Blob CRC32C covers
 * those bytes.
 */
public final class JobStateDescriptor
{
    /** "PSJOBST1" little-endian. */
    public static final long MAGIC = 0x315453424F4A5350L;
    public static final int MAGIC_OFFSET = 0;
    public static final int PAGE_ID_OFFSET = 8;
    public static final int BLOB_BYTES_OFFSET = 16;
    public static final int BLOB_CRC_OFFSET = 24;
    public static final int PIECE_COUNT_OFFSET = 28;
    public static final int PIECES_OFFSET = 32;
    public static final int PIECE_BYTES = 16;
    public static final int CRC_OFFSET = 4092;
    public static final int MAX_PIECES = (CRC_OFFSET - PIECES_OFFSET) / PIECE_BYTES;

    private JobStateDescriptor()
    {
    }

    /** Byte offset of piece {@code index} in the header page. */
    public static int pieceOffset(final int index)
    {
        return PIECES_OFFSET + index * PIECE_BYTES;
    }
}
