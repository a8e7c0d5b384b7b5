package io.presync.pool;

import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * The pool's free allocation units as sorted, coalesced extents. Allocation prefers one contiguous
 * extent (best fit: the smallest free extent that holds the whole request, lowest start on a tie);
 * when no single extent is big enough it takes the largest extents first, then the best fit for the
 * remainder, which gives the fewest segments. Pool operations are rare (allocate, extend, trim), so a
 * tree map and linear scans are plenty; the data path never calls this.
 */
final class FreeSpaceMap
{
    /** start unit -> length in units; never two adjacent or overlapping entries. */
    private final TreeMap<Long, Long> extents = new TreeMap<>();
    private long freeUnits;

    /** An empty map (no free space). */
    FreeSpaceMap()
    {
    }

    long freeUnits()
    {
        return freeUnits;
    }

    int extentCount()
    {
        return extents.size();
    }

    /** Length of the largest free extent, 0 when none. */
    long largestExtentUnits()
    {
        long largest = 0;
        for (final long length : extents.values())
        {
            largest = Math.max(largest, length);
        }
        return largest;
    }

    /** Free extents in order, as {@code {start, length}} pairs (a copy). */
    List<long[]> extents()
    {
        final List<long[]> list = new ArrayList<>(extents.size());
        for (final Map.Entry<Long, Long> e : extents.entrySet())
        {
            list.add(new long[] {e.getKey(), e.getValue()});
        }
        return list;
    }

    boolean isFree(final long unit)
    {
        final Map.Entry<Long, Long> floor = extents.floorEntry(unit);
        return floor != null && unit < floor.getKey() + floor.getValue();
    }

    /** Length of the free run starting exactly at {@code unit} (0 when that unit is not free). */
    long freeRunAt(final long unit)
    {
        final Map.Entry<Long, Long> floor = extents.floorEntry(unit);
        if (floor == null || unit >= floor.getKey() + floor.getValue())
        {
            return 0;
        }
        return floor.getKey() + floor.getValue() - unit;
    }

    /**
     * Returns {@code [start, start + lengthUnits)} to the free space, merging with free neighbours.
     *
     * @throws IllegalStateException when any of those units is already free (a double free).
     */
    void free(final long start, final long lengthUnits)
    {
        if (lengthUnits <= 0 || start < 0)
        {
            throw new IllegalArgumentException("bad extent to free: start " + start + ", length " + lengthUnits);
        }
        final long end = start + lengthUnits;
        final Map.Entry<Long, Long> floor = extents.floorEntry(start);
        final Map.Entry<Long, Long> ceiling = extents.ceilingEntry(start);
        if ((floor != null && floor.getKey() + floor.getValue() > start) || (ceiling != null && ceiling.getKey() < end))
        {
            throw new IllegalStateException("units [" + start + ", " + end + ") are already partly free");
        }
        long newStart = start;
        long newEnd = end;
        if (floor != null && floor.getKey() + floor.getValue() == start)
        {
            newStart = floor.getKey();
            extents.remove(floor.getKey());
        }
        if (ceiling != null && ceiling.getKey() == end)
        {
            newEnd = end + ceiling.getValue();
            extents.remove(ceiling.getKey());
        }
        extents.put(newStart, newEnd - newStart);
        freeUnits += lengthUnits;
    }

    /**
     * Takes {@code [start, start + lengthUnits)} when all of it is free.
     *
     * @return false (and nothing changes) when any unit of it is not free.
     */
    boolean allocateAt(final long start, final long lengthUnits)
    {
        if (lengthUnits <= 0)
        {
            throw new IllegalArgumentException("bad length " + lengthUnits);
        }
        final Map.Entry<Long, Long> floor = extents.floorEntry(start);
        if (floor == null || floor.getKey() + floor.getValue() < start + lengthUnits)
        {
            return false;
        }
        take(floor.getKey(), floor.getValue(), start, lengthUnits);
        return true;
    }

    /**
     * Takes {@code lengthUnits} units: one contiguous extent when possible (best fit), otherwise the
     * fewest extents (largest first, best fit for the remainder).
     *
     * @return the taken extents as {@code {start, length}} pairs in the order taken, or null (and
     *         nothing changes) when fewer than {@code lengthUnits} units are free.
     */
    List<long[]> allocate(final long lengthUnits)
    {
        if (lengthUnits <= 0)
        {
            throw new IllegalArgumentException("bad length " + lengthUnits);
        }
        if (lengthUnits > freeUnits)
        {
            return null;
        }
        final List<long[]> taken = new ArrayList<>();
        long remaining = lengthUnits;
        while (remaining > 0)
        {
            final long bestFitStart = bestFit(remaining);
            if (bestFitStart >= 0)
            {
                final long length = extents.get(bestFitStart);
                take(bestFitStart, length, bestFitStart, remaining);
                taken.add(new long[] {bestFitStart, remaining});
                remaining = 0;
            }
            else
            {
                final long largestStart = largestStart();
                final long length = extents.get(largestStart);
                take(largestStart, length, largestStart, length);
                taken.add(new long[] {largestStart, length});
                remaining -= length;
            }
        }
        return taken;
    }

    /** Start of the smallest extent of at least {@code lengthUnits} (lowest start on a tie), or -1. */
    private long bestFit(final long lengthUnits)
    {
        long bestStart = -1;
        long bestLength = Long.MAX_VALUE;
        for (final Map.Entry<Long, Long> e : extents.entrySet())
        {
            final long length = e.getValue();
            if (length >= lengthUnits && length < bestLength)
            {
                bestLength = length;
                bestStart = e.getKey();
            }
        }
        return bestStart;
    }

    /** Start of the largest extent (lowest start on a tie); the map must not be empty. */
    private long largestStart()
    {
        long bestStart = -1;
        long bestLength = 0;
        for (final Map.Entry<Long, Long> e : extents.entrySet())
        {
            if (e.getValue() > bestLength)
            {
                bestLength = e.getValue();
                bestStart = e.getKey();
            }
        }
        return bestStart;
    }

    /** Removes {@code [start, start+length)} from the free extent {@code [extentStart, +extentLength)}. */
    private void take(final long extentStart, final long extentLength, final long start, final long length)
    {
        extents.remove(extentStart);
        if (start > extentStart)
        {
            extents.put(extentStart, start - extentStart);
        }
        final long end = start + length;
        final long extentEnd = extentStart + extentLength;
        if (end < extentEnd)
        {
            extents.put(end, extentEnd - end);
        }
        freeUnits -= length;
    }

    /** Checks the invariants (sorted, positive, non-adjacent, total matches); throws when broken. */
    void verify()
    {
        long previousEnd = -1;
        long total = 0;
        final Iterator<Map.Entry<Long, Long>> it = extents.entrySet().iterator();
        while (it.hasNext())
        {
            final Map.Entry<Long, Long> e = it.next();
            if (e.getValue() <= 0 || e.getKey() < 0 || e.getKey() <= previousEnd)
            {
                throw new IllegalStateException("free-space map broken at unit " + e.getKey());
            }
            previousEnd = e.getKey() + e.getValue();
            total += e.getValue();
        }
        if (total != freeUnits)
        {
            throw new IllegalStateException("free-space map counts " + freeUnits + " free units but holds " + total);
        }
    }
}
