package io.presync.stream;

import java.io.BufferedWriter;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;

/**
 * Turns a stream of {@link WriteEvent}s into the time series the forecaster learns from, and the
 * per-region heat feed.
 *
 * <p>Per interval (bucket {@code i} covers {@code [origin + i*interval, origin + (i+1)*interval)},
 * the origin being the first event's time unless given; events before the origin count in bucket 0):
 * <ul>
 *   <li>{@code write_bytes}, {@code write_requests}: WRITE and WRITE_ZEROES requests and their bytes
 *       (both put data on the device);</li>
 *   <li>{@code new_bytes}: bytes newly allocated, i.e. 4 KiB blocks written for the first time while
 *       not in the allocation map, times 4096. The granularity is 4 KiB because that is what
 *       filesystems, thin pools and loop files allocate: a 512-byte write to a fresh block needs a
 *       whole block of new space, a rewrite of an allocated block needs none. A DISCARD frees the
 *       whole 4 KiB blocks it covers (a later write there is new again); partial blocks at its ends
 *       stay allocated. The map starts empty (or as given).</li>
 * </ul>
 * FLUSH events are ignored; LOST events are counted ({@link #lostReports()}) since their writes are
 * not known, so a series over a lossy log underestimates.
 *
 * <p>Every write also goes to the {@link RegionHeatListener} as bytes per region touched.
 * The allocation map is the project's off-heap {@link io.presync.btree.ExtentMap} (4 KiB-aligned
 * extents); {@link #close()} frees it. Allocates nothing per event except when the series grows.
 */
public final class WriteAggregator implements WriteEventHandler, AutoCloseable
{
    /** Allocation granularity of {@code new_bytes}. */
    public static final long BLOCK_BYTES = 4096;

    private final long intervalNanos;
    private final long regionBytes;
    private final RegionHeatListener heat;
    private final AllocationMap allocation;
    private boolean originSet;
    private long originNanos;
    private int buckets;
    private long[] writeBytes = new long[64];
    private long[] newBytes = new long[64];
    private long[] writeRequests = new long[64];
    private long discardBytes;
    private long lostReports;
    private long earlyEvents;

    /**
     * @param intervalNanos length of one bucket
     * @param regionBytes   heat region size (e.g. 1 MiB)
     * @param heat          the heat feed, or null
     */
    public WriteAggregator(final long intervalNanos, final long regionBytes, final RegionHeatListener heat)
    {
        this(intervalNanos, regionBytes, heat, new ExtentAllocationMap());
    }

    WriteAggregator(final long intervalNanos, final long regionBytes, final RegionHeatListener heat, final AllocationMap allocation)
    {
        if (intervalNanos <= 0 || regionBytes <= 0)
        {
            throw new IllegalArgumentException("interval and region size must be positive");
        }
        this.intervalNanos = intervalNanos;
        this.regionBytes = regionBytes;
        this.heat = heat;
        this.allocation = allocation;
    }

    /** Fixes bucket 0's start instead of taking the first event's time. */
    public WriteAggregator originNanos(final long nanos)
    {
        originNanos = nanos;
        originSet = true;
        return this;
    }

    /** Marks a range allocated before the first event (e.g. the device's data at the start). */
    public void preallocate(final long offsetBytes, final long lengthBytes)
    {
        allocation.insert(alignDown(offsetBytes), alignUp(offsetBytes + lengthBytes));
    }

    @Override
    public void onEvent(final WriteEvent event)
    {
        final WriteOp op = event.op();
        if (op == WriteOp.LOST)
        {
            lostReports++;
            return;
        }
        if (op == WriteOp.FLUSH)
        {
            return;
        }
        final long time = event.timeNanos();
        if (!originSet)
        {
            originNanos = time;
            originSet = true;
        }
        final long offset = event.offsetBytes();
        final long length = event.lengthBytes();
        final long end = event.endBytes();
        if (op == WriteOp.DISCARD)
        {
            discardBytes += length;
            final long start = alignUp(offset);
            final long stop = alignDown(end);
            if (stop > start)
            {
                allocation.remove(start, stop);
            }
            return;
        }
        long bucket = 0;
        if (time < originNanos)
        {
            earlyEvents++;
        }
        else
        {
            bucket = (time - originNanos) / intervalNanos;
        }
        final int b = ensureBucket(bucket);
        writeBytes[b] += length;
        writeRequests[b]++;
        if (length > 0)
        {
            final long start = alignDown(offset);
            final long stop = alignUp(end);
            final long fresh = (stop - start) - allocation.coveredBytes(start, stop);
            if (fresh > 0)
            {
                allocation.insert(start, stop);
                newBytes[b] += fresh;
            }
            if (heat != null)
            {
                feedHeat(offset, end, time);
            }
        }
    }

    private void feedHeat(final long offset, final long end, final long time)
    {
        long at = offset;
        while (at < end)
        {
            final long region = at / regionBytes;
            final long regionEnd = Math.min(end, (region + 1) * regionBytes);
            heat.onRegionWrite(region, regionEnd - at, time);
            at = regionEnd;
        }
    }

    private int ensureBucket(final long bucket)
    {
        if (bucket >= Integer.MAX_VALUE - 8)
        {
            throw new IllegalArgumentException("more than 2^31 intervals: use a longer interval");
        }
        final int b = (int)bucket;
        if (b >= writeBytes.length)
        {
            final int size = Math.max(b + 1, writeBytes.length * 2);
            writeBytes = Arrays.copyOf(writeBytes, size);
            newBytes = Arrays.copyOf(newBytes, size);
            writeRequests = Arrays.copyOf(writeRequests, size);
        }
        buckets = Math.max(buckets, b + 1);
        return b;
    }

    private static long alignDown(final long bytes)
    {
        return bytes & ~(BLOCK_BYTES - 1);
    }

    private static long alignUp(final long bytes)
    {
        final long up = (bytes + BLOCK_BYTES - 1) & ~(BLOCK_BYTES - 1);
        return up < bytes ? alignDown(bytes) : up;
    }

    /** Number of intervals from the origin to the last event's. */
    public int intervals()
    {
        return buckets;
    }

    /** End of interval {@code i}, in the events' time base. */
    public long intervalEndNanos(final int i)
    {
        return originNanos + (i + 1) * intervalNanos;
    }

    public long writeBytes(final int i)
    {
        return writeBytes[i];
    }

    public long newBytes(final int i)
    {
        return newBytes[i];
    }

    public long writeRequests(final int i)
    {
        return writeRequests[i];
    }

    public long discardBytes()
    {
        return discardBytes;
    }

    public long lostReports()
    {
        return lostReports;
    }

    /** Events timed before the origin (counted in interval 0). */
    public long earlyEvents()
    {
        return earlyEvents;
    }

    /** Frees the allocation map; the series stay readable. Idempotent. */
    @Override
    public void close()
    {
        allocation.close();
    }

    /** Writes {@code ts_us,write_bytes,new_bytes,write_requests}, ts_us being each interval's end. */
    public void writeCsv(final Path out) throws IOException
    {
        try (BufferedWriter w = Files.newBufferedWriter(out, StandardCharsets.US_ASCII))
        {
            w.write("ts_us,write_bytes,new_bytes,write_requests\n");
            for (int i = 0; i < buckets; i++)
            {
                w.write(Long.toString(intervalEndNanos(i) / 1000));
                w.write(',');
                w.write(Long.toString(writeBytes[i]));
                w.write(',');
                w.write(Long.toString(newBytes[i]));
                w.write(',');
                w.write(Long.toString(writeRequests[i]));
                w.write('\n');
            }
        }
    }
}
