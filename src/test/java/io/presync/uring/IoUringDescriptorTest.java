package io.presync.uring;

import io.presync.ffi.LayoutProbe;
import io.presync.ffi.liburing.Liburing;
import io.presync.ffi.liburing.io_uring;
import io.presync.ffi.liburing.io_uring_cq;
import io.presync.ffi.liburing.io_uring_sq;

import org.junit.jupiter.api.Test;

import java.lang.foreign.MemorySegment;

import static java.lang.foreign.ValueLayout.JAVA_INT;
import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * The hand-written struct io_uring and io_uring_params offsets Ring reads, against gcc's view of the installed
 * liburing headers, and against what liburing itself wrote into a ring it set up.
 */
class IoUringDescriptorTest
{
    @Test
    void offsetsMatchTheCompiler() throws Exception
    {
        final LayoutProbe probe = LayoutProbe.run();
        assertEquals(probe.size("io_uring"), IoUringDescriptor.IO_URING_BYTES);
        assertEquals(probe.size("io_uring_params"), IoUringDescriptor.PARAMS_BYTES);
        assertEquals(probe.field("io_uring.sq").offset(), IoUringDescriptor.SQ_OFFSET);
        assertEquals(probe.field("io_uring.cq").offset(), IoUringDescriptor.CQ_OFFSET);
        assertEquals(probe.field("io_uring.ring_fd").offset(), IoUringDescriptor.RING_FD_OFFSET);
        assertEquals(probe.field("io_uring.features").offset(), IoUringDescriptor.FEATURES_OFFSET);
        assertEquals(probe.field("io_uring.enter_ring_fd").offset(), IoUringDescriptor.ENTER_RING_FD_OFFSET);

        final long sq = probe.field("io_uring.sq").offset();
        assertEquals(sq + probe.field("io_uring_sq.khead").offset(), IoUringDescriptor.SQ_KHEAD_OFFSET);
        assertEquals(sq + probe.field("io_uring_sq.ktail").offset(), IoUringDescriptor.SQ_KTAIL_OFFSET);
        assertEquals(sq + probe.field("io_uring_sq.kflags").offset(), IoUringDescriptor.SQ_KFLAGS_OFFSET);
        assertEquals(sq + probe.field("io_uring_sq.array").offset(), IoUringDescriptor.SQ_ARRAY_OFFSET);
        assertEquals(sq + probe.field("io_uring_sq.sqes").offset(), IoUringDescriptor.SQ_SQES_OFFSET);
        assertEquals(sq + probe.field("io_uring_sq.sqe_head").offset(), IoUringDescriptor.SQ_SQE_HEAD_OFFSET);
        assertEquals(sq + probe.field("io_uring_sq.sqe_tail").offset(), IoUringDescriptor.SQ_SQE_TAIL_OFFSET);
        assertEquals(sq + probe.field("io_uring_sq.ring_mask").offset(), IoUringDescriptor.SQ_RING_MASK_OFFSET);
        assertEquals(sq + probe.field("io_uring_sq.ring_entries").offset(), IoUringDescriptor.SQ_RING_ENTRIES_OFFSET);

        final long cq = probe.field("io_uring.cq").offset();
        assertEquals(cq + probe.field("io_uring_cq.khead").offset(), IoUringDescriptor.CQ_KHEAD_OFFSET);
        assertEquals(cq + probe.field("io_uring_cq.ktail").offset(), IoUringDescriptor.CQ_KTAIL_OFFSET);
        assertEquals(cq + probe.field("io_uring_cq.cqes").offset(), IoUringDescriptor.CQ_CQES_OFFSET);
        assertEquals(cq + probe.field("io_uring_cq.ring_mask").offset(), IoUringDescriptor.CQ_RING_MASK_OFFSET);
        assertEquals(cq + probe.field("io_uring_cq.ring_entries").offset(), IoUringDescriptor.CQ_RING_ENTRIES_OFFSET);

        assertEquals(probe.field("io_uring_params.flags").offset(), IoUringDescriptor.PARAMS_FLAGS_OFFSET);
    }

    @Test
    void setupFlagsMatchTheBindings()
    {
        assertEquals(Liburing.IORING_SETUP_CLAMP(), IoUringDescriptor.SETUP_CLAMP);
        assertEquals(Liburing.IORING_SETUP_SQE128(), IoUringDescriptor.SETUP_SQE128);
        assertEquals(Liburing.IORING_SETUP_CQE32(), IoUringDescriptor.SETUP_CQE32);
    }

    /** What Ring reads at the descriptor's offsets is what the jextract accessors read from liburing's own struct. */
    @Test
    void ringReadsWhatLiburingWrote() throws Exception
    {
        try (Ring ring = Ring.create(8))
        {
            final MemorySegment struct = ring.ringStructForTest();
            final MemorySegment sq = io_uring.sq(struct);
            final MemorySegment cq = io_uring.cq(struct);
            assertEquals(io_uring_sq.ring_entries(sq), ring.sqEntries());
            assertEquals(io_uring_cq.ring_entries(cq), ring.cqEntries());
            assertEquals(io_uring.features(struct), ring.features());
            assertEquals(io_uring.ring_fd(struct), struct.get(JAVA_INT, IoUringDescriptor.RING_FD_OFFSET));
            assertEquals(io_uring_sq.sqes(sq).address(), ring.sqesForTest().address());
            // Registration goes through the raw system call on liburing's ring fd: it must reach this ring.
            try (var arena = java.lang.foreign.Arena.ofConfined())
            {
                ring.registerBuffers(new MemorySegment[] {Ring.allocateBuffer(arena, 4096)});
                ring.unregisterBuffers();
            }
        }
    }
}
