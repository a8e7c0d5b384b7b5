package io.presync.replicate;

import io.presync.btree.ExtentCursor;
import io.presync.btree.ExtentMap;
import io.presync.device.BlockDevice;
import io.presync.uring.CompletionHandler;
import io.presync.uring.Ring;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;

/**
 * Measures the master's read rate through the ring: up to {@value #PROBE_BYTES} bytes of its data
 * (its allocated extents, or the start of the device when it holds none) or {@value #PROBE_NANOS} ns,
 * 4 reads of 1 MiB in flight. The copy is bounded by the slower of reading the master and writing the
 * pool; the pool's write rate is not probed (it would write the pool), so this is an upper bound the
 * job refines by what it achieves.
 */
final class RateProbe
{
    static final long PROBE_BYTES = 128L << 20;
    static final long PROBE_NANOS = 1_000_000_000L;
    private static final int CHUNK = 1 << 20;
    private static final int DEPTH = 4;

    private RateProbe()
    {
    }

    static double measure(final BlockDevice master, final Ring ring, final ExtentMap data) throws IOException
    {
        final long[] done = new long[2];
        final CompletionHandler handler = (userData, res, flags) ->
        {
            done[0] += Math.max(0, res);
            done[1]++;
        };
        try (Arena arena = Arena.ofConfined())
        {
            final MemorySegment buffer = Ring.allocateBuffer(arena, (long)CHUNK * DEPTH);
            final ExtentCursor c = data.cursor(0);
            final long size = master.sizeBytes();
            long position = 0;
            long end = 0;
            boolean any = false;
            final long start = System.nanoTime();
            long submitted = 0;
            long submittedBytes = 0;
            while (submittedBytes < PROBE_BYTES && System.nanoTime() - start < PROBE_NANOS)
            {
                if (position >= end)
                {
                    if (c.next())
                    {
                        any = true;
                        position = c.start();
                        end = c.end();
                    }
                    else if (!any)
                    {
                        position = 0;
                        end = Math.min(size, PROBE_BYTES);
                        any = true;
                    }
                    else
                    {
                        break;
                    }
                }
                final int length = (int)Math.min(CHUNK, end - position);
                final int slot = (int)(submitted % DEPTH);
                ring.prepareRead(master.fd(), false, buffer.asSlice((long)slot * CHUNK, CHUNK), length, position, slot);
                submitted++;
                submittedBytes += length;
                position += length;
                if (submitted - done[1] >= DEPTH)
                {
                    ring.submitAndWait(1);
                    ring.reap(handler, DEPTH);
                }
            }
            while (done[1] < submitted)
            {
                ring.submitAndWait(1);
                ring.reap(handler, DEPTH);
            }
            final double seconds = Math.max(1e-6, (System.nanoTime() - start) / 1e9);
            return done[0] / seconds;
        }
    }
}
