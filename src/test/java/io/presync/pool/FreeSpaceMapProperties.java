package io.presync.pool;

import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;

import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The free-space map against a boolean-per-unit model, over random allocate / allocateAt / free sequences. */
class FreeSpaceMapProperties
{
    private static final int UNITS = 200;

    record Op(int kind, int a, int b)
    {
    }

    @Provide
    Arbitrary<List<Op>> ops()
    {
        final Arbitrary<Op> op = Combinators.combine(
            Arbitraries.integers().between(0, 3), Arbitraries.integers().between(0, UNITS - 1), Arbitraries.integers().between(1, 80))
            .as(Op::new);
        return op.list().ofMinSize(1).ofMaxSize(60);
    }

    @Property(tries = 300)
    void behavesLikeTheModel(@ForAll("ops") final List<Op> ops)
    {
        final boolean[] model = new boolean[UNITS]; // true = free
        final FreeSpaceMap map = new FreeSpaceMap();
        final List<long[]> owned = new ArrayList<>();
        map.free(0, UNITS);
        java.util.Arrays.fill(model, true);
        for (final Op op : ops)
        {
            switch (op.kind())
            {
                case 0, 1 -> allocate(map, model, owned, op.b());
                case 2 -> allocateAt(map, model, owned, op.a(), op.b());
                default -> freeOne(map, model, owned, op.a());
            }
            map.verify();
            assertSameAsModel(map, model);
        }
    }

    private static void allocate(final FreeSpaceMap map, final boolean[] model, final List<long[]> owned, final int length)
    {
        final List<long[]> runs = modelRuns(model);
        final long freeUnits = countFree(model);
        final List<long[]> taken = map.allocate(length);
        if (freeUnits < length)
        {
            assertNull(taken, "allocation beyond the free space must fail");
            return;
        }
        long bestFit = Long.MAX_VALUE;
        long largest = 0;
        for (final long[] run : runs)
        {
            if (run[1] >= length)
            {
                bestFit = Math.min(bestFit, run[1]);
            }
            largest = Math.max(largest, run[1]);
        }
        long total = 0;
        for (final long[] t : taken)
        {
            for (long u = t[0]; u < t[0] + t[1]; u++)
            {
                assertTrue(model[(int)u], "unit " + u + " handed out while not free");
                model[(int)u] = false;
            }
            total += t[1];
            owned.add(t);
        }
        assertEquals(length, total);
        if (bestFit != Long.MAX_VALUE)
        {
            assertEquals(1, taken.size(), "one contiguous extent exists, so one must be taken");
            final long[] t = taken.get(0);
            final long[] source = runContaining(runs, t[0]);
            assertEquals(bestFit, source[1], "the smallest extent that fits must be chosen");
            assertEquals(source[0], t[0], "allocation takes the start of the chosen extent");
        }
        else
        {
            assertEquals(largest, taken.get(0)[1], "when nothing fits, the largest extent goes first");
            assertEquals(minimumExtents(runs, length), taken.size(), "fewest extents");
        }
    }

    private static void allocateAt(
        final FreeSpaceMap map, final boolean[] model, final List<long[]> owned, final int start, final int length)
    {
        boolean allFree = start + length <= UNITS;
        for (int u = start; allFree && u < start + length; u++)
        {
            allFree = model[u];
        }
        assertEquals(runFrom(model, start), map.freeRunAt(start));
        final boolean done = map.allocateAt(start, length);
        assertEquals(allFree, done);
        if (done)
        {
            for (int u = start; u < start + length; u++)
            {
                model[u] = false;
            }
            owned.add(new long[] {start, length});
        }
    }

    private static void freeOne(final FreeSpaceMap map, final boolean[] model, final List<long[]> owned, final int pick)
    {
        if (owned.isEmpty())
        {
            assertThrows(IllegalStateException.class, () -> map.free(0, UNITS), "double free must be refused");
            return;
        }
        final long[] t = owned.remove(pick % owned.size());
        map.free(t[0], t[1]);
        for (long u = t[0]; u < t[0] + t[1]; u++)
        {
            model[(int)u] = true;
        }
        assertThrows(IllegalStateException.class, () -> map.free(t[0], t[1]), "double free must be refused");
    }

    private static void assertSameAsModel(final FreeSpaceMap map, final boolean[] model)
    {
        final List<long[]> runs = modelRuns(model);
        final List<long[]> extents = map.extents();
        assertEquals(runs.size(), extents.size(), "extents must be coalesced exactly like the model's runs");
        for (int i = 0; i < runs.size(); i++)
        {
            assertArrayEquals(runs.get(i), extents.get(i));
        }
        assertEquals(countFree(model), map.freeUnits());
        for (int u = 0; u < UNITS; u++)
        {
            assertEquals(model[u], map.isFree(u));
        }
        assertFalse(map.isFree(UNITS));
    }

    private static List<long[]> modelRuns(final boolean[] model)
    {
        final List<long[]> runs = new ArrayList<>();
        int u = 0;
        while (u < model.length)
        {
            if (model[u])
            {
                final int start = u;
                while (u < model.length && model[u])
                {
                    u++;
                }
                runs.add(new long[] {start, u - start});
            }
            else
            {
                u++;
            }
        }
        return runs;
    }

    private static long[] runContaining(final List<long[]> runs, final long unit)
    {
        for (final long[] run : runs)
        {
            if (unit >= run[0] && unit < run[0] + run[1])
            {
                return run;
            }
        }
        throw new AssertionError("unit " + unit + " was not free");
    }

    private static int runFrom(final boolean[] model, final int start)
    {
        int u = start;
        while (u < model.length && model[u])
        {
            u++;
        }
        return u - start;
    }

    private static long countFree(final boolean[] model)
    {
        long n = 0;
        for (final boolean free : model)
        {
            n += free ? 1 : 0;
        }
        return n;
    }

    private static int minimumExtents(final List<long[]> runs, final long length)
    {
        final List<Long> lengths = new ArrayList<>();
        for (final long[] run : runs)
        {
            lengths.add(run[1]);
        }
        lengths.sort(java.util.Comparator.reverseOrder());
        long sum = 0;
        int n = 0;
        for (final long l : lengths)
        {
            sum += l;
            n++;
            if (sum >= length)
            {
                return n;
            }
        }
        throw new AssertionError("not enough space");
    }
}
