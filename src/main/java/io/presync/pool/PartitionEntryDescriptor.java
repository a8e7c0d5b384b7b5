package io.presync.pool;

/**
 * Payload of a partition entry page (metadata page type 1), one page per partition. Offsets are
 * from the start of the page; the common header of {@link MetadataPageDescriptor} comes first.
 *
 * <pre>
 *   0                   1                   2                   3
 *   0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 *  +---------------------------------------------------------------+
 *  |             Metadata page header (48 bytes)                   |  0
 *  +---------------------------------------------------------------+
 *  |          State (u32)          |     Name Length (u32)         | 48
 *  +---------------------------------------------------------------+
 *  |              Name (UTF-8, up to 64 bytes, zero padded)        | 56
 *  +---------------------------------------------------------------+
 *  |              Master Id (128-bit)                              | 120
 *  +---------------------------------------------------------------+
 *  |              Master Size Bytes (u64)                          | 136
 *  +---------------------------------------------------------------+
 *  |              Logical Size Bytes (u64)                         | 144
 *  +---------------------------------------------------------------+
 *  |              Used Bytes (u64)                                 | 152
 *  +---------------------------------------------------------------+
 *  |     Extension Count (u32)     |     Segment Count (u32)       | 160
 *  +---------------------------------------------------------------+
 *  |      Map Root Page (u64, data-space page + 1; 0 = no map yet)  | 168
 *  +---------------------------------------------------------------+
 *  |      Map Pages (u64, pages of the extent-map B-tree)          | 176
 *  +---------------------------------------------------------------+
 *  |      Created Epoch Millis (u64)                               | 184
 *  +---------------------------------------------------------------+
 *  |      Job State Header Page (u64, data-space page + 1; 0 none) | 192
 *  +---------------------------------------------------------------+
 *  |      Job State Bytes (u64)                                    | 200
 *  +---------------------------------------------------------------+
 *  |      Map Extent Count (u64)                                   | 208
 *  +---------------------------------------------------------------+
 *  |      zero (u64)                                               | 216
 *  +---------------------------------------------------------------+
 *  |      Data High Water (u64, all the commit uses lies below)    | 224
 *  +---------------------------------------------------------------+
 *  |      Job State Pages (u64, header included)                   | 232
 *  +---------------------------------------------------------------+
 *  |      zero ... 255                                             | 240
 *  +---------------------------------------------------------------+
 *  |  Segment 0: Start Unit (u64)                                  | 256
 *  |             Length Units (u32) | Checksum Pages (u32)         | 264
 *  +---------------------------------------------------------------+
 *  |  Segment 1 ... up to MAX_SEGMENTS                             | 272
 *  +---------------------------------------------------------------+
 *  |                CRC32C of bytes [0, 4092) (u32)                | 4092
 *  +---------------------------------------------------------------+
 * </pre>
 *
 * A segment is a run of whole allocation units owned by the partition. Its first
 * {@code checksumPages} 4 KiB pages hold a checksum record (CRC32C and a 64-bit hash, see
 * {@link ChecksumAreaDescriptor}) of every 4 KiB data block of the rest of the segment, in block order; the remaining bytes are the partition's data space.
 * Keeping the checksums inside each segment means an extension brings its own checksum area and a
 * trim that gives a whole segment back takes its checksums with it.
 *
 * <p>The partition's <em>data space</em> is its segments' data areas concatenated in segment order
 * ({@link PartitionSpace}). It holds the data blocks, the pages of the extent-map B-tree (logical start
 * to end and data offset, in {@code io.presync.btree.PageDescriptor} pages, page id = data-space page
 * + 1) and the job-state blob ({@link JobStateDescriptor}). Nothing records free data space: it is the
 * complement of what the committed map, tree and job state use, rebuilt on open. Every commit writes
 * changed tree pages, new data of overwritten committed blocks and a new job state to space the
 * previous commit does not use (copy-on-write), so the entry switches to the new root atomically.
 */
public final class PartitionEntryDescriptor
{
    public static final int NAME_MAX_BYTES = 64;

    public static final int STATE_OFFSET = 48;
    public static final int NAME_LENGTH_OFFSET = 52;
    public static final int NAME_OFFSET = 56;
    public static final int MASTER_ID_OFFSET = 120;
    public static final int MASTER_SIZE_BYTES_OFFSET = 136;
    public static final int LOGICAL_SIZE_BYTES_OFFSET = 144;
    public static final int USED_BYTES_OFFSET = 152;
    public static final int EXTENSION_COUNT_OFFSET = 160;
    public static final int SEGMENT_COUNT_OFFSET = 164;
    public static final int MAP_ROOT_PAGE_OFFSET = 168;
    public static final int MAP_PAGES_OFFSET = 176;
    public static final int CREATED_MILLIS_OFFSET = 184;
    public static final int JOB_STATE_HEADER_PAGE_OFFSET = 192;
    public static final int JOB_STATE_BYTES_OFFSET = 200;
    public static final int MAP_EXTENT_COUNT_OFFSET = 208;
    public static final int DATA_HIGH_WATER_OFFSET = 224;
    public static final int JOB_STATE_PAGES_OFFSET = 232;
    /** First byte after the fields; zero up to the segments (216..223 is zero too). */
    public static final int FIELDS_END_OFFSET = 240;
    public static final int SEGMENTS_OFFSET = 256;

    public static final int SEGMENT_BYTES = 16;
    public static final int SEGMENT_START_UNIT_OFFSET = 0;
    public static final int SEGMENT_LENGTH_UNITS_OFFSET = 8;
    public static final int SEGMENT_CHECKSUM_PAGES_OFFSET = 12;

    /** Segments that fit in one entry page: (4092 - 256) / 16. */
    public static final int MAX_SEGMENTS = (MetadataPageDescriptor.CRC_OFFSET - SEGMENTS_OFFSET) / SEGMENT_BYTES;

    /** Bytes of data one checksum page covers: 341 records (CRC32C + hash) of 4 KiB blocks. */
    public static final long BYTES_PER_CHECKSUM_PAGE = (long)ChecksumAreaDescriptor.RECORDS_PER_PAGE * 4096L;

    private PartitionEntryDescriptor()
    {
    }

    /** Byte offset in the entry page of segment {@code index}. */
    public static int segmentOffset(final int index)
    {
        return SEGMENTS_OFFSET + index * SEGMENT_BYTES;
    }

    /**
     * Checksum pages at the start of a segment of {@code segmentBytes}: the fewest pages {@code c}
     * such that the remaining {@code segmentBytes - c * 4096} bytes of data have a checksum record
     * each (the record format is {@link ChecksumAreaDescriptor}'s).
     */
    public static int checksumPages(final long segmentBytes)
    {
        return ChecksumAreaDescriptor.pagesFor(segmentBytes);
    }
}
