package io.presync.replicate;

import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@link BufferUnits} against a model (a boolean per unit): random takes of runs and gives of taken runs. A take
 * returns a run of free units (lowest first for several, highest for one) or -1 exactly when no such run is free;
 * taken runs never overlap.
 */
class BufferUnitsProperties
{
    @Property(tries = 200)
    void runsAreFreeDisjointAndFoundWheneverTheyExist(@ForAll @IntRange(min = 1, max = 64) final int count,
        @ForAll final long seed)
    {
        final BufferUnits units = new BufferUnits(count);
        final boolean[] busy = new boolean[count];
        final List<int[]> taken = new ArrayList<>();
        final Random random = new Random(seed);
        for (int step = 0; step < 300; step++)
        {
            if (!taken.isEmpty() && random.nextInt(3) == 0)
            {
                final int[] run = taken.remove(random.nextInt(taken.size()));
                units.give(run[0], run[1]);
                for (int u = run[0]; u < run[0] + run[1]; u++)
                {
                    busy[u] = false;
                }
                continue;
            }
            final int want = 1 + random.nextInt(Math.min(count, 6));
            final int expected = want == 1 ? highestFree(busy) : lowestRun(busy, want);
            final int first = units.take(want);
            assertEquals(expected, first, "take(" + want + ") of " + java.util.Arrays.toString(busy));
            if (first >= 0)
            {
                for (int u = first; u < first + want; u++)
                {
                    assertFalse(busy[u]);
                    busy[u] = true;
                }
                taken.add(new int[] {first, want});
            }
            int free = 0;
            for (final boolean b : busy)
            {
                free += b ? 0 : 1;
            }
            assertEquals(free, units.free());
        }
    }

    @Property(tries = 20)
    void givingBackAFreeUnitIsRefused(@ForAll @IntRange(min = 2, max = 64) final int count)
    {
        final BufferUnits units = new BufferUnits(count);
        final int first = units.take(2);
        assertEquals(0, first);
        assertThrows(IllegalStateException.class, () -> units.give(0, 3));
        units.give(0, 2);
        assertEquals(count, units.free());
        assertTrue(units.take(count) == 0);
    }

    private static int highestFree(final boolean[] busy)
    {
        for (int u = busy.length - 1; u >= 0; u--)
        {
            if (!busy[u])
            {
                return u;
            }
        }
        return -1;
    }

    private static int lowestRun(final boolean[] busy, final int want)
    {
        for (int first = 0; first + want <= busy.length; first++)
        {
            boolean free = true;
            for (int u = first; u < first + want; u++)
            {
                free &= !busy[u];
            }
            if (free)
            {
                return first;
            }
        }
        return -1;
    }
}
