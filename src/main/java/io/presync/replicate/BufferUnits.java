package io.presync.replicate;

/**
 * The job's read buffer (one registered buffer) as {@code count} units of equal size: a read takes a run of
 * contiguous free units, so bulk reads can be several units long (the loop driver and the block layer pay per
 * request, and bigger requests copy faster) while a stream read takes one, all out of one fixed budget of memory.
 * <p>
 * Runs of several units are taken lowest first and single units highest first, so streaming (single units)
 * fragments the top of the buffer and leaves whole runs at the bottom to the bulk pass.
 * <pre>
 *   unit:   0    1    2    3    4  ...  count-1
 *         [ bulk read (4 units) ][ bulk ...    ]...[stream][stream]
 *   busy bit u of a long: unit u is part of a read in flight
 * </pre>
 * At most 64 units. Allocates nothing.
 */
final class BufferUnits
{
    private final int count;
    private final long all;
    private long busy;

    BufferUnits(final int count)
    {
        if (count < 1 || count > Long.SIZE)
        {
            throw new IllegalArgumentException("units must be 1..64, not " + count);
        }
        this.count = count;
        this.all = count == Long.SIZE ? -1L : (1L << count) - 1;
    }

    int count()
    {
        return count;
    }

    /** Takes {@code units} contiguous free units and returns the first, or -1 when no such run is free. */
    int take(final int units)
    {
        if (units < 1 || units > count)
        {
            throw new IllegalArgumentException("a run of " + units + " units of " + count);
        }
        final long free = ~busy & all;
        if (units == 1)
        {
            if (free == 0)
            {
                return -1;
            }
            final int unit = Long.SIZE - 1 - Long.numberOfLeadingZeros(free);
            busy |= 1L << unit;
            return unit;
        }
        final long run = units == Long.SIZE ? -1L : (1L << units) - 1;
        for (int first = 0; first + units <= count; first++)
        {
            if ((busy & (run << first)) == 0)
            {
                busy |= run << first;
                return first;
            }
        }
        return -1;
    }

    /** Gives back the run of {@code units} units from {@code first} (taken by {@link #take}). */
    void give(final int first, final int units)
    {
        final long run = (units == Long.SIZE ? -1L : (1L << units) - 1) << first;
        if ((busy & run) != run)
        {
            throw new IllegalStateException("units " + first + ".." + (first + units - 1) + " are not all taken");
        }
        busy &= ~run;
    }

    /** Units free now. */
    int free()
    {
        return Long.bitCount(~busy & all);
    }
}
