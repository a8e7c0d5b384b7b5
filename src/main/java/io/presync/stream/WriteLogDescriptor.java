package io.presync.stream;

import java.nio.file.Path;
import java.util.regex.Pattern;

/**
 * On-disk format of the write log: a directory of segment files named by their first sequence
 * number ({@code 00000000000000000001.wlog}), each a file header followed by record batches. All
 * integers are little-endian. A segment is only ever appended to by the process that created it; a
 * restarted writer starts a new segment, so a crash can only cut a segment's tail.
 *
 * <pre>
 * Segment header (64 bytes):
 *   0                   1                   2                   3
 *   0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 *  +---------------------------------------------------------------+
 *  |                 magic "PSWLOG\0\1" (8 bytes)                   |
 *  |                                                                |
 *  +---------------------------------------------------------------+
 *  |                     version (u32) = 1                          |
 *  +---------------------------------------------------------------+
 *  |                 header bytes (u32) = 64                        |
 *  +---------------------------------------------------------------+
 *  |                 record bytes (u32) = 32                        |
 *  +---------------------------------------------------------------+
 *  |                       reserved (u32)                           |
 *  +---------------------------------------------------------------+
 *  |          created, ns since the Unix epoch (i64)                |
 *  |                                                                |
 *  +---------------------------------------------------------------+
 *  |              first sequence number (i64)                       |
 *  |                                                                |
 *  +---------------------------------------------------------------+
 *  |                  reserved (20 bytes, zero)                     |
 *  +---------------------------------------------------------------+
 *  |             CRC32C of bytes 0..59 (u32)                        |
 *  +---------------------------------------------------------------+
 *
 * Batch (32-byte header, then count records):
 *  +---------------------------------------------------------------+
 *  |                   batch magic (u32) "WLB1"                     |
 *  +-------------------------------+-------------------------------+
 *  |        version (u16) = 1      |     record bytes (u16) = 32   |
 *  +-------------------------------+-------------------------------+
 *  |                      record count (u32)                        |
 *  +---------------------------------------------------------------+
 *  | CRC32C (u32) of header bytes 16..31 and all records            |
 *  +---------------------------------------------------------------+
 *  |        sequence of the first record (i64); record i has        |
 *  |        first sequence + i                                      |
 *  +---------------------------------------------------------------+
 *  |        time of the last record, ns (i64), for age retention    |
 *  |                                                                |
 *  +---------------------------------------------------------------+
 *
 * Record (32 bytes):
 *  +---------------------------------------------------------------+
 *  |                       time, ns (i64)                           |
 *  +---------------------------------------------------------------+
 *  |                      offset, bytes (i64)                       |
 *  +---------------------------------------------------------------+
 *  |                      length, bytes (i64)                       |
 *  +---------------+-----------------------------------------------+
 *  |  op (u8)      |           reserved (3 bytes, zero)            |
 *  +---------------+-----------------------------------------------+
 *  |  lost count (u32): LOST only, 0xFFFFFFFF unknown; else 1       |
 *  +---------------------------------------------------------------+
 *  op: 1 WRITE, 2 DISCARD, 3 WRITE_ZEROES, 4 FLUSH, 5 LOST (WriteOp.code()).
 * </pre>
 *
 * A batch is written with one write call after its records; the reader accepts a batch only when
 * its CRC32C matches. A crash leaves at most a partial batch at a segment's end, which the reader
 * reports as cut; a bad batch followed by more data is corruption, which it refuses.
 */
final class WriteLogDescriptor
{
    static final long SEGMENT_MAGIC = 0x01_00_47_4F_4C_57_53_50L; // "PSWLOG\0\1" little-endian
    static final int VERSION = 1;
    static final int SEGMENT_HEADER_BYTES = 64;
    static final int SEGMENT_VERSION_OFFSET = 8;
    static final int SEGMENT_HEADER_BYTES_OFFSET = 12;
    static final int SEGMENT_RECORD_BYTES_OFFSET = 16;
    static final int SEGMENT_CREATED_OFFSET = 24;
    static final int SEGMENT_FIRST_SEQUENCE_OFFSET = 32;
    static final int SEGMENT_CRC_OFFSET = 60;

    static final int BATCH_MAGIC = 0x31_42_4C_57; // "WLB1" little-endian
    static final int BATCH_HEADER_BYTES = 32;
    static final int BATCH_VERSION_OFFSET = 4;
    static final int BATCH_RECORD_BYTES_OFFSET = 6;
    static final int BATCH_COUNT_OFFSET = 8;
    static final int BATCH_CRC_OFFSET = 12;
    static final int BATCH_CRC_FROM = 16;
    static final int BATCH_FIRST_SEQUENCE_OFFSET = 16;
    static final int BATCH_LAST_TIME_OFFSET = 24;

    static final int RECORD_BYTES = 32;
    static final int RECORD_TIME_OFFSET = 0;
    static final int RECORD_OFFSET_OFFSET = 8;
    static final int RECORD_LENGTH_OFFSET = 16;
    static final int RECORD_OP_OFFSET = 24;
    static final int RECORD_LOST_COUNT_OFFSET = 28;
    static final int UNKNOWN_LOST_COUNT = 0xFFFF_FFFF;

    /** Largest batch a writer makes; a header claiming more is not a batch. */
    static final int MAX_BATCH_RECORDS = 1 << 16;

    static final String SEGMENT_SUFFIX = ".wlog";
    static final Pattern SEGMENT_NAME = Pattern.compile("(\\d{20})\\.wlog");

    private WriteLogDescriptor()
    {
    }

    static Path segmentPath(final Path directory, final long firstSequence)
    {
        return directory.resolve(String.format("%020d", firstSequence) + SEGMENT_SUFFIX);
    }
}
