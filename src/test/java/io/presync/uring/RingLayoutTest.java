package io.presync.uring;

import io.presync.ffi.LayoutProbe;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;

/** The hand-written struct iovec layout Ring passes to io_uring_register_buffers, against gcc's. */
class RingLayoutTest
{
    @Test
    void iovecMatchesTheCompiler() throws Exception
    {
        final LayoutProbe probe = LayoutProbe.run();
        assertEquals(probe.size("iovec"), Ring.IOVEC_BYTES);
        assertEquals(probe.field("iovec.iov_base").offset(), Ring.IOVEC_BASE_OFFSET);
        assertEquals(probe.field("iovec.iov_len").offset(), Ring.IOVEC_LEN_OFFSET);
        assertEquals(8, probe.field("iovec.iov_base").size());
        assertEquals(8, probe.field("iovec.iov_len").size());
    }
}
