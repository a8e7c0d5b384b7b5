package io.presync.uring;

/**
 * Layout of one completion queue entry ({@code struct io_uring_cqe}, 16 bytes without
 * {@code IORING_SETUP_CQE32}) as Presync reads it from the CQ ring the kernel mapped.
 * <p>
 * Pinned to the uapi {@code io_uring.h} shipped with liburing 2.3 (Debian 12); checked by
 * {@code io.presync.ffi.LiburingLayoutTest}.
 * <pre>
 *   0                   1                   2                   3
 *   0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 *  +---------------------------------------------------------------+
 *  |                          user_data                            |  0
 *  |                                                               |
 *  +---------------------------------------------------------------+
 *  |          res (bytes transferred, 0, or -errno)                |  8
 *  +---------------------------------------------------------------+
 *  |                            flags                              | 12
 *  +---------------------------------------------------------------+
 * </pre>
 */
public final class CqeDescriptor
{
    public static final int CQE_BYTES = 16;
    /** log2 of {@link #CQE_BYTES}: slot index to byte offset. */
    public static final int CQE_SHIFT = 4;

    public static final int USER_DATA_OFFSET = 0;
    public static final int RES_OFFSET = 8;
    public static final int FLAGS_OFFSET = 12;

    private CqeDescriptor()
    {
    }
}
