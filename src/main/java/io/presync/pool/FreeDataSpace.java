package io.presync.pool;

import io.presync.btree.BTree;

import java.util.ArrayList;
import java.util.List;

/**
 * The free bytes of one partition's data space as coalesced extents, indexed twice so that the data
 * path allocates in O(log n) without allocating memory: by start (to merge on free and to continue a
 * sequential run at a given offset) and by size (best fit). Offsets and lengths are multiples of 4 KiB.
 *
 * <pre>
 *  byStart:  start bytes -> end bytes
 *  bySize:   key = min(length blocks, 2^27 - 1) << 36 | start block   (value unused)
 *            ceilingKey(length << 36) = the smallest extent of at least `length`, lowest start on a tie
 * </pre>
 *
 * The size key caps lengths at 2^27 - 1 blocks (512 GiB) and starts at 2^36 blocks (256 TiB of data
 * space): extents larger than the cap tie and are told apart by their real length when needed.
 * Held in memory only: a partition rebuilds it on open as the complement of what its committed
 * metadata uses (mapped data, tree pages, job-state pages).
 */
final class FreeDataSpace implements AutoCloseable
{
    static final int BLOCK = PartitionSpace.BLOCK_BYTES;
    private static final int START_BITS = 36;
    private static final long MAX_KEY_BLOCKS = (1L << 27) - 1;

    private final BTree byStart = BTree.inMemory(1);
    private final BTree bySize = BTree.inMemory(1);
    private final long[] value = new long[1];
    private long freeBytes;
    /** Length of the run the last {@link #allocate} returned. */
    private long lastLength;

    long freeBytes()
    {
        return freeBytes;
    }

    long extentCount()
    {
        return byStart.size();
    }

    private static long sizeKey(final long start, final long length)
    {
        return Math.min(length / BLOCK, MAX_KEY_BLOCKS) << START_BITS | (start / BLOCK);
    }

    private long endOf(final long start)
    {
        byStart.get(start, value);
        return value[0];
    }

    private void add(final long start, final long end)
    {
        byStart.put(start, end);
        bySize.put(sizeKey(start, end - start), 0L);
    }

    private void drop(final long start, final long end)
    {
        byStart.remove(start);
        bySize.remove(sizeKey(start, end - start));
    }

    /**
     * Returns {@code [start, start + length)} to the free space, merging with free neighbours.
     *
     * @throws IllegalStateException when part of it is free already (a double free).
     */
    void free(final long start, final long length)
    {
        if (length <= 0 || start < 0 || start % BLOCK != 0 || length % BLOCK != 0)
        {
            throw new IllegalArgumentException("bad range to free: " + start + " +" + length);
        }
        final long end = start + length;
        final long floor = byStart.floorKey(start);
        final long floorEnd = floor == BTree.NO_KEY ? -1 : endOf(floor);
        final long ceiling = byStart.ceilingKey(start);
        if (floorEnd > start || (ceiling != BTree.NO_KEY && ceiling < end))
        {
            throw new IllegalStateException("data space [" + start + ", " + end + ") is already partly free");
        }
        long newStart = start;
        long newEnd = end;
        if (floor != BTree.NO_KEY && floorEnd == start)
        {
            newStart = floor;
            drop(floor, floorEnd);
        }
        if (ceiling == end)
        {
            final long ceilingEnd = endOf(ceiling);
            newEnd = ceilingEnd;
            drop(ceiling, ceilingEnd);
        }
        add(newStart, newEnd);
        freeBytes += length;
    }

    /** Bytes of the free run that starts exactly at {@code start} (0 when that byte is not free). */
    long freeRunAt(final long start)
    {
        final long floor = byStart.floorKey(start);
        if (floor == BTree.NO_KEY)
        {
            return 0;
        }
        final long end = endOf(floor);
        return end > start ? end - start : 0;
    }

    /** The first free byte at or after {@code position}, or {@link Long#MAX_VALUE} when none is. */
    long nextFreeAtOrAfter(final long position)
    {
        if (freeRunAt(position) > 0)
        {
            return position;
        }
        final long next = byStart.ceilingKey(position);
        return next == BTree.NO_KEY ? Long.MAX_VALUE : next;
    }

    /** Whether all of {@code [start, start + length)} is free. */
    boolean isFree(final long start, final long length)
    {
        return freeRunAt(start) >= length;
    }

    /**
     * Takes up to {@code maxLength} bytes starting exactly at {@code start}.
     *
     * @return the bytes taken, 0 when {@code start} is not free.
     */
    long takeAt(final long start, final long maxLength)
    {
        final long floor = byStart.floorKey(start);
        if (floor == BTree.NO_KEY)
        {
            return 0;
        }
        final long end = endOf(floor);
        if (end <= start)
        {
            return 0;
        }
        final long taken = Math.min(maxLength, end - start);
        drop(floor, end);
        if (floor < start)
        {
            add(floor, start);
        }
        if (start + taken < end)
        {
            add(start + taken, end);
        }
        freeBytes -= taken;
        return taken;
    }

    /** {@link #allocate(long, long, long)} without room for a stream to grow: the tightest fit. */
    long allocate(final long length, final long hint)
    {
        return allocate(length, hint, 0);
    }

    /**
     * Takes a run for {@code length} bytes: at {@code hint} when that byte is free (continuing a
     * sequential run, as much as is free there), else the smallest extent that holds
     * {@code max(length, roomBytes)} (so that a stream starting here can go on contiguously), else the
     * smallest that holds {@code length} (lowest start on a tie), else the whole largest extent.
     * {@link #lastLength()} gives the run's length.
     *
     * @return the run's start, or -1 when nothing is free.
     */
    long allocate(final long length, final long hint, final long roomBytes)
    {
        return allocate(length, hint, roomBytes, false);
    }

    /**
     * As {@link #allocate(long, long, long)}; with {@code preferLargest} (a stream whose run could not
     * go on) the largest extent is taken when none has {@code roomBytes}, so the stream keeps going
     * in one place instead of filling small holes one piece at a time.
     */
    long allocate(final long length, final long hint, final long roomBytes, final boolean preferLargest)
    {
        if (hint >= 0)
        {
            final long taken = takeAt(hint, length);
            if (taken > 0)
            {
                lastLength = taken;
                return hint;
            }
        }
        long start = roomBytes > length ? bestFit(roomBytes) : -1;
        if (start < 0 && !preferLargest)
        {
            start = bestFit(length);
        }
        if (start >= 0)
        {
            lastLength = takeAt(start, length);
            return start;
        }
        final long largest = bySize.floorKey(Long.MAX_VALUE);
        if (largest == BTree.NO_KEY)
        {
            lastLength = 0;
            return -1;
        }
        final long largestStart = (largest & ((1L << START_BITS) - 1)) * BLOCK;
        lastLength = takeAt(largestStart, length);
        return largestStart;
    }

    /** Bytes of the largest free extent, 0 when none. */
    long largestExtentBytes()
    {
        long largest = 0;
        long key = bySize.floorKey(Long.MAX_VALUE);
        // Extents past the size key's cap tie; look at the few at the top.
        for (int i = 0; i < 8 && key != BTree.NO_KEY; i++)
        {
            final long start = (key & ((1L << START_BITS) - 1)) * BLOCK;
            largest = Math.max(largest, endOf(start) - start);
            key = bySize.lowerKey(key);
        }
        return largest;
    }

    /** Length of the run the last {@link #allocate} returned. */
    long lastLength()
    {
        return lastLength;
    }

    /** Start of the smallest extent of at least {@code length} bytes, or -1. */
    long bestFit(final long length)
    {
        long key = bySize.ceilingKey(Math.min(length / BLOCK, MAX_KEY_BLOCKS) << START_BITS);
        while (key != BTree.NO_KEY)
        {
            final long start = (key & ((1L << START_BITS) - 1)) * BLOCK;
            if (endOf(start) - start >= length)
            {
                return start;
            }
            key = bySize.higherKey(key);
        }
        return -1;
    }

    /** Start of the free run that ends at {@code end}, or {@code end} when the byte before it is used. */
    long freeRunEndingAt(final long end)
    {
        final long floor = byStart.lowerKey(end);
        if (floor != BTree.NO_KEY && endOf(floor) == end)
        {
            return floor;
        }
        return end;
    }

    /** The free extents in order as {@code {start, length}} (tests, checks). */
    List<long[]> extents()
    {
        final List<long[]> list = new ArrayList<>();
        final io.presync.btree.Cursor c = byStart.cursor(0);
        while (c.next())
        {
            list.add(new long[] {c.key(), c.value(0) - c.key()});
        }
        return list;
    }

    @Override
    public void close()
    {
        byStart.close();
        bySize.close();
    }
}
