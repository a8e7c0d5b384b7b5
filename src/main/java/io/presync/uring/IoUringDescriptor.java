package io.presync.uring;

/**
 * Layout of liburing's {@code struct io_uring} (216 bytes on x86_64), which {@code io_uring_queue_init_params}
 * fills in with the rings it mapped, and of the kernel's {@code struct io_uring_params} (120 bytes), as
 * {@link Ring} reads them: plain offsets instead of the jextract accessors in {@code io.presync.ffi.liburing},
 * whose classes build var handles when they initialise (some 50 ms of method-handle classes spun at the
 * start of every command that sets up a ring; no AOT cache keeps them).
 * <p>
 * Pinned to liburing 2.3 (Debian 12, {@code liburing.h}) and its uapi {@code io_uring.h}; checked against
 * gcc by {@code IoUringDescriptorTest}. Pointers and {@code size_t} are 8 bytes, {@code unsigned} 4.
 * <pre>
 * struct io_uring                      struct io_uring_sq (at 0)         struct io_uring_cq (at 104)
 * +-----+---------------------+       +-----+----------------------+    +-----+----------------------+
 * |   0 | sq (104 bytes)      |       |   0 | unsigned *khead      |    |   0 | unsigned *khead      |
 * | 104 | cq (88 bytes)       |       |   8 | unsigned *ktail      |    |   8 | unsigned *ktail      |
 * | 192 | unsigned flags      |       |  16 | *kring_mask          |    |  16 | *kring_mask          |
 * | 196 | int ring_fd         |       |  24 | *kring_entries       |    |  24 | *kring_entries       |
 * | 200 | unsigned features   |       |  32 | unsigned *kflags     |    |  32 | unsigned *kflags     |
 * | 204 | int enter_ring_fd   |       |  40 | unsigned *kdropped   |    |  40 | unsigned *koverflow  |
 * | 208 | u8 int_flags, pad   |       |  48 | unsigned *array      |    |  48 | io_uring_cqe *cqes   |
 * | 212 | unsigned pad2       |       |  56 | io_uring_sqe *sqes   |    |  56 | size_t ring_sz       |
 * +-----+---------------------+       |  64 | unsigned sqe_head    |    |  64 | void *ring_ptr       |
 *                                     |  68 | unsigned sqe_tail    |    |  72 | unsigned ring_mask   |
 * struct io_uring_params              |  72 | size_t ring_sz       |    |  76 | unsigned ring_entries|
 * +-----+---------------------+       |  80 | void *ring_ptr       |    |  80 | unsigned pad[2]      |
 * |   0 | sq_entries          |       |  88 | unsigned ring_mask   |    +-----+----------------------+
 * |   4 | cq_entries          |       |  92 | unsigned ring_entries|
 * |   8 | flags               |       |  96 | unsigned pad[2]      |
 * |  20 | features            |       +-----+----------------------+
 * | ... | resv, sq_off, cq_off|
 * +-----+---------------------+
 * </pre>
 */
final class IoUringDescriptor
{
    static final int IO_URING_BYTES = 216;
    static final int SQ_OFFSET = 0;
    static final int CQ_OFFSET = 104;
    static final int RING_FD_OFFSET = 196;
    static final int FEATURES_OFFSET = 200;
    static final int ENTER_RING_FD_OFFSET = 204;

    // struct io_uring_sq, from the start of struct io_uring (SQ_OFFSET is 0).
    static final int SQ_KHEAD_OFFSET = SQ_OFFSET;
    static final int SQ_KTAIL_OFFSET = SQ_OFFSET + 8;
    static final int SQ_KFLAGS_OFFSET = SQ_OFFSET + 32;
    static final int SQ_ARRAY_OFFSET = SQ_OFFSET + 48;
    static final int SQ_SQES_OFFSET = SQ_OFFSET + 56;
    static final int SQ_SQE_HEAD_OFFSET = SQ_OFFSET + 64;
    static final int SQ_SQE_TAIL_OFFSET = SQ_OFFSET + 68;
    static final int SQ_RING_MASK_OFFSET = SQ_OFFSET + 88;
    static final int SQ_RING_ENTRIES_OFFSET = SQ_OFFSET + 92;

    // struct io_uring_cq, from the start of struct io_uring.
    static final int CQ_KHEAD_OFFSET = CQ_OFFSET;
    static final int CQ_KTAIL_OFFSET = CQ_OFFSET + 8;
    static final int CQ_CQES_OFFSET = CQ_OFFSET + 48;
    static final int CQ_RING_MASK_OFFSET = CQ_OFFSET + 72;
    static final int CQ_RING_ENTRIES_OFFSET = CQ_OFFSET + 76;

    static final int PARAMS_BYTES = 120;
    static final int PARAMS_FLAGS_OFFSET = 8;

    /** Alignment of both structs (their widest members are pointers). */
    static final int ALIGNMENT = 8;

    // IORING_SETUP_* (uapi io_uring.h; ABI values).
    static final int SETUP_CLAMP = 1 << 4;
    static final int SETUP_SQE128 = 1 << 10;
    static final int SETUP_CQE32 = 1 << 11;

    private IoUringDescriptor()
    {
    }
}
