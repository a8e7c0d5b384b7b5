package io.presync.btree;

import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.constraints.IntRange;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * ExtentMap against a byte-array model: one payload per byte (or absent). Because inserts merge
 * equal-payload neighbours and nothing else creates touching equal extents, the map's extents must
 * be exactly the model's maximal runs of equal payload.
 */
class ExtentMapProperties
{
    static final int SPACE = 600;
    static final long ABSENT = Long.MIN_VALUE;

    record Op(int kind, int start, int length, int payload)
    {
    }

    @Provide
    Arbitrary<List<Op>> ops()
    {
        final Arbitrary<Op> op = Combinators.combine(
            Arbitraries.integers().between(0, 9),
            Arbitraries.integers().between(0, SPACE - 1),
            Arbitraries.oneOf(Arbitraries.integers().between(0, 8), Arbitraries.integers().between(0, 200)),
            Arbitraries.integers().between(0, 3)).as(Op::new);
        return op.list().ofMinSize(1).ofMaxSize(120);
    }

    @Property(tries = 200)
    void matchesByteModel(@ForAll("ops") final List<Op> ops, @ForAll @IntRange(min = 0, max = 2) final int storeKind)
    {
        try (MemoryPageStore pages = new MemoryPageStore(); ExtentMap map = newMap(storeKind, pages))
        {
            final long[] model = new long[SPACE];
            Arrays.fill(model, ABSENT);
            for (final Op op : ops)
            {
                final int s = op.start();
                final int e = Math.min(SPACE, s + op.length());
                if (op.kind() < 6)
                {
                    map.insert(s, e, op.payload());
                    Arrays.fill(model, s, e, op.payload());
                }
                else
                {
                    map.remove(s, e);
                    Arrays.fill(model, s, e, ABSENT);
                }
                checkRuns(map, model);
            }
            checkQueries(map, model);
        }
    }

    @Property(tries = 200)
    void queriesMatchModel(@ForAll("ops") final List<Op> ops)
    {
        try (MemoryPageStore pages = new MemoryPageStore(); ExtentMap map = newMap(1, pages))
        {
            final long[] model = new long[SPACE];
            Arrays.fill(model, ABSENT);
            for (final Op op : ops)
            {
                final int s = op.start();
                final int e = Math.min(SPACE, s + op.length());
                if (op.kind() < 7)
                {
                    map.insert(s, e, op.payload());
                    Arrays.fill(model, s, e, op.payload());
                }
                else
                {
                    map.remove(s, e);
                    Arrays.fill(model, s, e, ABSENT);
                }
            }
            checkQueries(map, model);
            final ExtentMap view = map.snapshotView();
            map.insert(0, SPACE, 77);
            checkRuns(view, model);
            view.close();
        }
    }

    static ExtentMap newMap(final int storeKind, final MemoryPageStore pages)
    {
        return switch (storeKind)
        {
            case 0 -> ExtentMap.inMemory();
            // Tiny nodes: splits, merges and root changes happen after a handful of extents.
            case 1 -> new ExtentMap(BTree.create(pages, 2, 4, 4));
            default -> new ExtentMap(new HeapExtentStore());
        };
    }

    static List<long[]> runs(final long[] model, final int from, final int to)
    {
        final List<long[]> runs = new ArrayList<>();
        int i = from;
        while (i < to)
        {
            if (model[i] == ABSENT)
            {
                i++;
                continue;
            }
            int j = i;
            while (j < to && model[j] == model[i])
            {
                j++;
            }
            runs.add(new long[] {i, j, model[i]});
            i = j;
        }
        return runs;
    }

    static void checkRuns(final ExtentMap map, final long[] model)
    {
        final List<long[]> expected = runs(model, 0, model.length);
        final List<long[]> actual = new ArrayList<>();
        final ExtentCursor c = map.cursor(0);
        while (c.next())
        {
            actual.add(new long[] {c.start(), c.end(), c.payload()});
        }
        assertEquals(render(expected), render(actual), "extents");
        long total = 0;
        for (final long b : model)
        {
            total += b == ABSENT ? 0 : 1;
        }
        assertEquals(total, map.totalBytes(), "totalBytes");
        assertEquals(expected.size(), map.extentCount(), "extentCount");
    }

    static void checkQueries(final ExtentMap map, final long[] model)
    {
        final long[] probe = new long[3];
        for (int s = 0; s <= model.length; s += 7)
        {
            for (int e = s; e <= model.length; e += 13)
            {
                long covered = 0;
                for (int i = s; i < e; i++)
                {
                    covered += model[i] == ABSENT ? 0 : 1;
                }
                assertEquals(covered, map.coveredBytes(s, e), "coveredBytes");

                // Clipped intersection = runs of the clipped model, except that runs cut by the
                // range edges keep their identity: compare run by run with clipping.
                final List<long[]> expected = new ArrayList<>();
                for (final long[] r : runs(model, 0, model.length))
                {
                    final long from = Math.max(r[0], s);
                    final long to = Math.min(r[1], e);
                    if (to > from)
                    {
                        expected.add(new long[] {from, to, r[2]});
                    }
                }
                final List<long[]> actual = new ArrayList<>();
                map.forEachIntersecting(s, e, (a, b, p) -> actual.add(new long[] {a, b, p}));
                assertEquals(render(expected), render(actual), "forEachIntersecting");
            }
            // Probes.
            final List<long[]> all = runs(model, 0, model.length);
            long[] first = null;
            for (final long[] r : all)
            {
                if (r[1] > s)
                {
                    first = r;
                    break;
                }
            }
            if (first == null)
            {
                assertFalse(map.firstEndingAfter(s, probe));
                assertEquals(ExtentMap.NONE, map.nextCovered(s));
            }
            else
            {
                assertTrue(map.firstEndingAfter(s, probe));
                assertEquals(render(List.of(first)), render(List.of(probe)));
                assertEquals(Math.max(first[0], s), map.nextCovered(s));
            }
            long prevEnd = ExtentMap.NONE;
            for (int i = s - 1; i >= 0; i--)
            {
                if (model[i] != ABSENT)
                {
                    prevEnd = i + 1;
                    break;
                }
            }
            assertEquals(prevEnd, map.previousCoveredEnd(s), "previousCoveredEnd(" + s + ")");
            final List<long[]> fromCursor = new ArrayList<>();
            final ExtentCursor c = map.cursor(s);
            while (c.next())
            {
                fromCursor.add(new long[] {c.start(), c.end(), c.payload()});
            }
            final List<long[]> expectedFrom = new ArrayList<>();
            for (final long[] r : all)
            {
                if (r[1] > s)
                {
                    expectedFrom.add(r);
                }
            }
            assertEquals(render(expectedFrom), render(fromCursor), "cursor(" + s + ")");
        }
    }

    static String render(final List<long[]> extents)
    {
        final StringBuilder sb = new StringBuilder();
        for (final long[] e : extents)
        {
            sb.append('[').append(e[0]).append(',').append(e[1]).append(")=").append(e[2]).append(' ');
        }
        return sb.toString();
    }
}
