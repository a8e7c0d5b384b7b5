package io.presync.replicate;

import io.presync.btree.ExtentCursor;
import io.presync.btree.ExtentMap;
import io.presync.device.BlockDevice;
import io.presync.device.OpenOptions;
import io.presync.pool.PartitionInfo;
import io.presync.pool.Pool;
import io.presync.pool.PoolInfo;
import io.presync.pool.Segment;
import io.presync.uring.CompletionHandler;
import io.presync.uring.Ring;
import io.presync.uring.SqeDescriptor;
import io.presync.uring.UringException;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Measures the rates a copy is bounded by, through the ring with 4 requests of 1 MiB in flight:
 * <ul>
 *   <li>the master's read rate: up to {@value #PROBE_BYTES} bytes of its data (its allocated extents,
 *       or the start of the device when it holds none) or {@value #PROBE_NANOS} ns;</li>
 *   <li>the pool's write rate: O_DIRECT writes of up to {@value #WRITE_PROBE_BYTES} bytes or
 *       {@value #WRITE_PROBE_NANOS} ns into the largest run of the pool's free units, then an fdatasync
 *       (the copy's commits flush too), then the range is discarded again. Free units belong to nobody:
 *       a later allocation discards and zeroes them before use, so the probe's bytes are never read.</li>
 * </ul>
 * The copy rate is the smaller of the two ({@link CopyRate}). The copy also pays for CRC32C and the
 * partition's metadata, so this is still an upper bound, which the job refines by what it achieves.
 */
final class RateProbe
{
    static final long PROBE_BYTES = 128L << 20;
    static final long PROBE_NANOS = 1_000_000_000L;
    static final long WRITE_PROBE_BYTES = 64L << 20;
    static final long WRITE_PROBE_NANOS = 500_000_000L;
    /** Less free pool space than this is not probed: too short a run to mean anything. */
    static final long MIN_WRITE_PROBE_BYTES = 4L << 20;
    private static final int CHUNK = 1 << 20;
    private static final int DEPTH = 4;

    private RateProbe()
    {
    }

    static double measure(final BlockDevice master, final Ring ring, final ExtentMap data) throws IOException
    {
        try (Arena arena = Arena.ofConfined())
        {
            final MemorySegment buffer = Ring.allocateBuffer(arena, (long)CHUNK * DEPTH);
            final ExtentCursor c = data.cursor(0);
            final long size = master.sizeBytes();
            boolean any = false;
            final InFlight io = new InFlight(ring, buffer);
            while (io.withinBudget(PROBE_BYTES, PROBE_NANOS))
            {
                final long position;
                final long end;
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
                io.transfer(master.fd(), false, position, end, PROBE_BYTES, PROBE_NANOS);
            }
            io.drain();
            return io.bytesPerSecond();
        }
    }

    /**
     * The largest run of free units of {@code pool} as {offsetBytes, lengthBytes}, at most
     * {@value #WRITE_PROBE_BYTES} bytes; null when it is shorter than {@value #MIN_WRITE_PROBE_BYTES}.
     * Free = neither reserved (superblocks and metadata) nor in any partition's segment.
     */
    static long[] freeRange(final Pool pool)
    {
        final PoolInfo info = pool.info();
        final List<Segment> owned = new ArrayList<>();
        for (final PartitionInfo p : pool.partitions())
        {
            owned.addAll(p.segments());
        }
        owned.sort((a, b) -> Long.compare(a.startUnit(), b.startUnit()));
        long bestStart = 0;
        long bestUnits = 0;
        long at = info.reservedUnits();
        for (int i = 0; i <= owned.size(); i++)
        {
            final long next = i < owned.size() ? owned.get(i).startUnit() : info.unitCount();
            if (next - at > bestUnits)
            {
                bestStart = at;
                bestUnits = next - at;
            }
            if (i < owned.size())
            {
                at = Math.max(at, owned.get(i).endUnit());
            }
        }
        final long length = Math.min(WRITE_PROBE_BYTES, bestUnits * info.unitBytes());
        return length < MIN_WRITE_PROBE_BYTES ? null : new long[] {bestStart * info.unitBytes(), length};
    }

    /** The pool's write rate into {@code range} (from {@link #freeRange}), which is discarded afterwards. */
    static double measureWrite(final Path poolDevice, final long[] range, final Ring ring) throws IOException
    {
        try (BlockDevice device = BlockDevice.open(poolDevice,
            OpenOptions.forWriting().withExclusive(false).withAllowRegularFile(true)); Arena arena = Arena.ofConfined())
        {
            final MemorySegment buffer = Ring.allocateBuffer(arena, (long)CHUNK * DEPTH);
            // Not zeros: a device may detect zero writes and skip them.
            for (long i = 0; i < buffer.byteSize(); i += 8)
            {
                buffer.set(ValueLayout.JAVA_LONG, i, 0x9E3779B97F4A7C15L * (i + 1));
            }
            final InFlight io = new InFlight(ring, buffer);
            final long position = io.transfer(device.fd(), true, range[0], range[0] + range[1], Long.MAX_VALUE, WRITE_PROBE_NANOS);
            io.drain();
            ring.prepareFsync(device.fd(), false, true, DEPTH);
            ring.submitAndWait(1);
            ring.reap(io, 1);
            final double rate = io.bytesPerSecond();
            device.release(range[0], position - range[0]);
            if (io.lastError() < 0)
            {
                // Typed with its errno: ENOSPC (storage below the pool full) is not a reason to stop the job.
                throw UringException.forResult(SqeDescriptor.OP_WRITE, io.lastError(),
                    poolDevice + " (the write probe into its free space at " + range[0] + ")");
            }
            return rate;
        }
    }

    /**
     * The one submit/reap loop of both probes: {@value #DEPTH} requests of {@value #CHUNK} bytes in flight,
     * request {@code n} in slot {@code n % DEPTH} of the buffer, and what completed since the probe started.
     */
    private static final class InFlight implements CompletionHandler
    {
        private final Ring ring;
        private final MemorySegment buffer;
        private final long startNanos = System.nanoTime();
        private long submitted;
        private long submittedBytes;
        private long completed;
        private long completedBytes;
        private int lastError;

        InFlight(final Ring ring, final MemorySegment buffer)
        {
            this.ring = ring;
            this.buffer = buffer;
        }

        boolean withinBudget(final long budgetBytes, final long budgetNanos)
        {
            return submittedBytes < budgetBytes && System.nanoTime() - startNanos < budgetNanos;
        }

        /**
         * Reads or writes {@code [from, end)} of {@code fd} in chunks until its end or until the probe
         * has submitted {@code budgetBytes} or run {@code budgetNanos}; returns the position reached.
         */
        long transfer(final int fd, final boolean write, final long from, final long end, final long budgetBytes,
            final long budgetNanos) throws IOException
        {
            long position = from;
            while (position < end && withinBudget(budgetBytes, budgetNanos))
            {
                final int length = (int)Math.min(CHUNK, end - position);
                final int slot = (int)(submitted % DEPTH);
                final MemorySegment chunk = buffer.asSlice((long)slot * CHUNK, CHUNK);
                if (write)
                {
                    ring.prepareWrite(fd, false, chunk, length, position, slot);
                }
                else
                {
                    ring.prepareRead(fd, false, chunk, length, position, slot);
                }
                submitted++;
                submittedBytes += length;
                position += length;
                if (submitted - completed >= DEPTH)
                {
                    ring.submitAndWait(1);
                    ring.reap(this, DEPTH);
                }
            }
            return position;
        }

        /** Waits for every submitted request. */
        void drain() throws IOException
        {
            while (completed < submitted)
            {
                ring.submitAndWait(1);
                ring.reap(this, DEPTH);
            }
        }

        /** The last failed request's negative errno, 0 when none failed. */
        int lastError()
        {
            return lastError;
        }

        /** Bytes completed per second since the probe started. */
        double bytesPerSecond()
        {
            final double seconds = Math.max(1e-6, (System.nanoTime() - startNanos) / 1e9);
            return completedBytes / seconds;
        }

        @Override
        public void onCompletion(final long userData, final int result, final int flags)
        {
            if (result < 0)
            {
                lastError = result;
            }
            completedBytes += Math.max(0, result);
            completed++;
        }
    }
}
