/*
 * Layout probe: prints, as the C compiler sees them through the installed liburing headers, the size
 * of every struct and the offset and size of every field and the value of every constant the Java
 * side relies on (the generated io.presync.ffi.liburing layouts and the hand-written descriptors in
 * io.presync.uring). io.presync.ffi.LiburingLayoutTest compiles it with gcc, runs it and compares.
 *
 * Output, one line each:
 *   size STRUCT BYTES
 *   field STRUCT.FIELD OFFSET BYTES
 *   const NAME VALUE
 */
#define LIBURING_INTERNAL 1
#include <liburing.h>
#include <stddef.h>
#include <stdio.h>

#define SIZE(s) printf("size %s %zu\n", #s, sizeof(struct s))
#define FIELD(s, f) printf("field %s.%s %zu %zu\n", #s, #f, offsetof(struct s, f), sizeof(((struct s *) 0)->f))
#define CONST(c) printf("const %s %lld\n", #c, (long long) (c))

int main(void)
{
    SIZE(io_uring_sq);
    FIELD(io_uring_sq, khead);
    FIELD(io_uring_sq, ktail);
    FIELD(io_uring_sq, kring_mask);
    FIELD(io_uring_sq, kring_entries);
    FIELD(io_uring_sq, kflags);
    FIELD(io_uring_sq, kdropped);
    FIELD(io_uring_sq, array);
    FIELD(io_uring_sq, sqes);
    FIELD(io_uring_sq, sqe_head);
    FIELD(io_uring_sq, sqe_tail);
    FIELD(io_uring_sq, ring_sz);
    FIELD(io_uring_sq, ring_ptr);
    FIELD(io_uring_sq, ring_mask);
    FIELD(io_uring_sq, ring_entries);

    SIZE(io_uring_cq);
    FIELD(io_uring_cq, khead);
    FIELD(io_uring_cq, ktail);
    FIELD(io_uring_cq, kring_mask);
    FIELD(io_uring_cq, kring_entries);
    FIELD(io_uring_cq, kflags);
    FIELD(io_uring_cq, koverflow);
    FIELD(io_uring_cq, cqes);
    FIELD(io_uring_cq, ring_sz);
    FIELD(io_uring_cq, ring_ptr);
    FIELD(io_uring_cq, ring_mask);
    FIELD(io_uring_cq, ring_entries);

    SIZE(io_uring);
    FIELD(io_uring, sq);
    FIELD(io_uring, cq);
    FIELD(io_uring, flags);
    FIELD(io_uring, ring_fd);
    FIELD(io_uring, features);
    FIELD(io_uring, enter_ring_fd);
    FIELD(io_uring, int_flags);

    SIZE(io_uring_sqe);
    FIELD(io_uring_sqe, opcode);
    FIELD(io_uring_sqe, flags);
    FIELD(io_uring_sqe, ioprio);
    FIELD(io_uring_sqe, fd);
    FIELD(io_uring_sqe, off);
    FIELD(io_uring_sqe, addr2);
    FIELD(io_uring_sqe, addr);
    FIELD(io_uring_sqe, len);
    FIELD(io_uring_sqe, rw_flags);
    FIELD(io_uring_sqe, fsync_flags);
    FIELD(io_uring_sqe, user_data);
    FIELD(io_uring_sqe, buf_index);
    FIELD(io_uring_sqe, personality);
    FIELD(io_uring_sqe, splice_fd_in);
    FIELD(io_uring_sqe, file_index);
    FIELD(io_uring_sqe, addr3);
    FIELD(io_uring_sqe, __pad2);

    SIZE(io_uring_cqe);
    FIELD(io_uring_cqe, user_data);
    FIELD(io_uring_cqe, res);
    FIELD(io_uring_cqe, flags);

    SIZE(io_sqring_offsets);
    FIELD(io_sqring_offsets, head);
    FIELD(io_sqring_offsets, tail);
    FIELD(io_sqring_offsets, ring_mask);
    FIELD(io_sqring_offsets, ring_entries);
    FIELD(io_sqring_offsets, flags);
    FIELD(io_sqring_offsets, dropped);
    FIELD(io_sqring_offsets, array);

    SIZE(io_cqring_offsets);
    FIELD(io_cqring_offsets, head);
    FIELD(io_cqring_offsets, tail);
    FIELD(io_cqring_offsets, ring_mask);
    FIELD(io_cqring_offsets, ring_entries);
    FIELD(io_cqring_offsets, overflow);
    FIELD(io_cqring_offsets, cqes);
    FIELD(io_cqring_offsets, flags);

    SIZE(io_uring_params);
    FIELD(io_uring_params, sq_entries);
    FIELD(io_uring_params, cq_entries);
    FIELD(io_uring_params, flags);
    FIELD(io_uring_params, sq_thread_cpu);
    FIELD(io_uring_params, sq_thread_idle);
    FIELD(io_uring_params, features);
    FIELD(io_uring_params, wq_fd);
    FIELD(io_uring_params, resv);
    FIELD(io_uring_params, sq_off);
    FIELD(io_uring_params, cq_off);

    /* struct iovec as passed to io_uring_register_buffers. */
    SIZE(iovec);
    FIELD(iovec, iov_base);
    FIELD(iovec, iov_len);

    CONST(IORING_OP_NOP);
    CONST(IORING_OP_READV);
    CONST(IORING_OP_WRITEV);
    CONST(IORING_OP_FSYNC);
    CONST(IORING_OP_READ_FIXED);
    CONST(IORING_OP_WRITE_FIXED);
    CONST(IORING_OP_FALLOCATE);
    CONST(IORING_OP_READ);
    CONST(IORING_OP_WRITE);
    CONST(IOSQE_FIXED_FILE);
    CONST(IOSQE_IO_DRAIN);
    CONST(IOSQE_IO_LINK);
    CONST(IORING_FSYNC_DATASYNC);
    CONST(IORING_SETUP_CLAMP);
    CONST(IORING_SETUP_SQE128);
    CONST(IORING_SETUP_CQE32);
    CONST(IORING_ENTER_GETEVENTS);
    return 0;
}
