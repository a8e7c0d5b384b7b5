package io.presync.uring;

import java.lang.foreign.MemorySegment;

import static java.lang.foreign.ValueLayout.JAVA_BYTE;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG_UNALIGNED;
import static java.lang.foreign.ValueLayout.JAVA_SHORT;

/**
 * Layout of one submission queue entry ({@code struct io_uring_sqe}, 64 bytes) as Presync writes it
 * straight into the SQE array the kernel mapped, plus the opcode and flag values it uses.
 * <p>
 * Pinned to the Linux uapi header {@code io_uring.h} as shipped with liburing 2.3
 * ({@code /usr/include/liburing/io_uring.h}, Debian 12 liburing-dev 2.3-3); the uapi layout only ever
 * grows by using padding, so these offsets hold for every kernel since 5.1. The test
 * {@code io.presync.ffi.LiburingLayoutTest} checks every constant here against the C compiler and
 * against the jextract-generated {@code io_uring_sqe} layout.
 * <pre>
 *   0                   1                   2                   3
 *   0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 *  +---------------+---------------+-------------------------------+
 *  |    opcode     |     flags     |            ioprio             |  0
 *  +---------------+---------------+-------------------------------+
 *  |                              fd                               |  4
 *  +---------------------------------------------------------------+
 *  |                   off (file offset; addr2)                    |  8
 *  |                                                               |
 *  +---------------------------------------------------------------+
 *  |           addr (buffer address; fallocate: length)            | 16
 *  |                                                               |
 *  +---------------------------------------------------------------+
 *  |          len (bytes; fallocate: mode; nop/fsync: 0)           | 24
 *  +---------------------------------------------------------------+
 *  |           op flags (rw_flags, fsync_flags, ...)               | 28
 *  +---------------------------------------------------------------+
 *  |                          user_data                            | 32
 *  |                                                               |
 *  +-------------------------------+-------------------------------+
 *  |          buf_index            |          personality          | 40
 *  +-------------------------------+-------------------------------+
 *  |                 splice_fd_in / file_index                     | 44
 *  +---------------------------------------------------------------+
 *  |                            addr3                              | 48
 *  |                                                               |
 *  +---------------------------------------------------------------+
 *  |                           __pad2[0]                           | 56
 *  |                                                               |
 *  +---------------------------------------------------------------+
 * </pre>
 * The kernel reads a slot again each time it is reused, so {@link #fill} writes all 64 bytes: stale
 * fields (a buffer index, a file index, addr3) from an earlier operation must never leak into the next.
 */
public final class SqeDescriptor
{
    /** {@code sizeof(struct io_uring_sqe)} without {@code IORING_SETUP_SQE128}. */
    public static final int SQE_BYTES = 64;
    /** log2 of {@link #SQE_BYTES}: slot index to byte offset. */
    public static final int SQE_SHIFT = 6;

    public static final int OPCODE_OFFSET = 0;
    public static final int FLAGS_OFFSET = 1;
    public static final int IOPRIO_OFFSET = 2;
    public static final int FD_OFFSET = 4;
    public static final int OFF_OFFSET = 8;
    public static final int ADDR_OFFSET = 16;
    public static final int LEN_OFFSET = 24;
    /** The per-opcode flags union: rw_flags, fsync_flags, ... */
    public static final int OP_FLAGS_OFFSET = 28;
    public static final int USER_DATA_OFFSET = 32;
    public static final int BUF_INDEX_OFFSET = 40;
    public static final int PERSONALITY_OFFSET = 42;
    public static final int FILE_INDEX_OFFSET = 44;
    public static final int ADDR3_OFFSET = 48;
    public static final int PAD2_OFFSET = 56;

    // enum io_uring_op (uapi io_uring.h): values are ABI and never renumbered.
    public static final byte OP_NOP = 0;
    public static final byte OP_READV = 1;
    public static final byte OP_WRITEV = 2;
    public static final byte OP_FSYNC = 3;
    public static final byte OP_READ_FIXED = 4;
    public static final byte OP_WRITE_FIXED = 5;
    public static final byte OP_FALLOCATE = 17;
    public static final byte OP_READ = 22;
    public static final byte OP_WRITE = 23;

    /** {@code IOSQE_FIXED_FILE}: fd is an index into the registered files. */
    public static final byte IOSQE_FIXED_FILE = 1;
    /** {@code IORING_FSYNC_DATASYNC}: fdatasync instead of fsync. */
    public static final int IORING_FSYNC_DATASYNC = 1;

    private SqeDescriptor()
    {
    }

    /**
     * Writes one whole SQE at {@code base} in {@code sqes}. Eight 8-byte stores: the first long packs
     * opcode, flags, ioprio (0) and fd, the one at 40 packs buf_index, personality (0) and file_index (0),
     * little-endian as on every platform io_uring runs on here (x86-64, aarch64).
     */
    static void fill(
        final MemorySegment sqes,
        final long base,
        final byte opcode,
        final byte flags,
        final int fd,
        final long off,
        final long addr,
        final int len,
        final int opFlags,
        final long userData,
        final short bufIndex)
    {
        // SQEs are 64-byte aligned: the unaligned layout only spares the JIT eight alignment checks.
        sqes.set(JAVA_LONG_UNALIGNED, base + OPCODE_OFFSET,
            (opcode & 0xFFL) | ((flags & 0xFFL) << 8) | ((long)fd << 32));
        sqes.set(JAVA_LONG_UNALIGNED, base + OFF_OFFSET, off);
        sqes.set(JAVA_LONG_UNALIGNED, base + ADDR_OFFSET, addr);
        sqes.set(JAVA_LONG_UNALIGNED, base + LEN_OFFSET, (len & 0xFFFF_FFFFL) | ((long)opFlags << 32));
        sqes.set(JAVA_LONG_UNALIGNED, base + USER_DATA_OFFSET, userData);
        sqes.set(JAVA_LONG_UNALIGNED, base + BUF_INDEX_OFFSET, bufIndex & 0xFFFFL);
        sqes.set(JAVA_LONG_UNALIGNED, base + ADDR3_OFFSET, 0L);
        sqes.set(JAVA_LONG_UNALIGNED, base + PAD2_OFFSET, 0L);
    }

    /** Field reads, for tests and diagnostics (not the hot path). */
    static byte opcode(final MemorySegment sqes, final long base)
    {
        return sqes.get(JAVA_BYTE, base + OPCODE_OFFSET);
    }

    static byte flags(final MemorySegment sqes, final long base)
    {
        return sqes.get(JAVA_BYTE, base + FLAGS_OFFSET);
    }

    static short ioprio(final MemorySegment sqes, final long base)
    {
        return sqes.get(JAVA_SHORT, base + IOPRIO_OFFSET);
    }

    static int fd(final MemorySegment sqes, final long base)
    {
        return sqes.get(JAVA_INT, base + FD_OFFSET);
    }

    static int len(final MemorySegment sqes, final long base)
    {
        return sqes.get(JAVA_INT, base + LEN_OFFSET);
    }

    static int opFlags(final MemorySegment sqes, final long base)
    {
        return sqes.get(JAVA_INT, base + OP_FLAGS_OFFSET);
    }

    static short bufIndex(final MemorySegment sqes, final long base)
    {
        return sqes.get(JAVA_SHORT, base + BUF_INDEX_OFFSET);
    }

    /** Name of an opcode for error messages ("READ", "WRITE_FIXED", ...). */
    public static String opName(final int opcode)
    {
        return switch (opcode)
        {
            case OP_NOP -> "NOP";
            case OP_READV -> "READV";
            case OP_WRITEV -> "WRITEV";
            case OP_FSYNC -> "FSYNC";
            case OP_READ_FIXED -> "READ_FIXED";
            case OP_WRITE_FIXED -> "WRITE_FIXED";
            case OP_FALLOCATE -> "FALLOCATE";
            case OP_READ -> "READ";
            case OP_WRITE -> "WRITE";
            default -> "opcode " + opcode;
        };
    }
}
