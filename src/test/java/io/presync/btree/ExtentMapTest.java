package io.presync.btree;

import org.junit.jupiter.api.Test;

import java.util.SplittableRandom;
import java.util.TreeMap;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

class ExtentMapTest
{
    static String extents(final ExtentMap map)
    {
        final StringBuilder sb = new StringBuilder();
        final ExtentCursor c = map.cursor(0);
        while (c.next())
        {
            sb.append('[').append(c.start()).append(',').append(c.end()).append(")=").append(c.payload()).append(' ');
        }
        return sb.toString().trim();
    }

    @Test
    void touchingEqualPayloadsMerge()
    {
        try (ExtentMap map = ExtentMap.inMemory())
        {
            map.insert(0, 10, 1);
            map.insert(20, 30, 1);
            map.insert(10, 20, 1);
            assertEquals("[0,30)=1", extents(map));
            assertEquals(30, map.totalBytes());
            assertEquals(1, map.extentCount());
        }
    }

    @Test
    void touchingDifferentPayloadsStaySeparate()
    {
        try (ExtentMap map = ExtentMap.inMemory())
        {
            map.insert(0, 10, 1);
            map.insert(10, 20, 2);
            map.insert(20, 30, 1);
            assertEquals("[0,10)=1 [10,20)=2 [20,30)=1", extents(map));
            assertEquals(30, map.totalBytes());
        }
    }

    @Test
    void insertInsideSplitsInThree()
    {
        try (ExtentMap map = ExtentMap.inMemory())
        {
            map.insert(0, 100, 1);
            map.insert(40, 60, 2);
            assertEquals("[0,40)=1 [40,60)=2 [60,100)=1", extents(map));
            assertEquals(100, map.totalBytes());
            map.insert(40, 60, 1);
            assertEquals("[0,100)=1", extents(map));
        }
    }

    @Test
    void insertOverManyOverwritesAndMerges()
    {
        try (ExtentMap map = ExtentMap.inMemory())
        {
            map.insert(0, 10, 3);
            map.insert(15, 20, 1);
            map.insert(25, 30, 2);
            map.insert(35, 50, 3);
            map.insert(5, 40, 3);
            assertEquals("[0,50)=3", extents(map));
            assertEquals(50, map.totalBytes());
        }
    }

    @Test
    void removeSplits()
    {
        try (ExtentMap map = ExtentMap.inMemory())
        {
            map.insert(0, 100, 1);
            map.remove(10, 20);
            map.remove(90, 200);
            assertEquals("[0,10)=1 [20,90)=1", extents(map));
            assertEquals(80, map.totalBytes());
            assertEquals(30, map.coveredBytes(5, 45));
            map.remove(0, 1000);
            assertEquals("", extents(map));
            assertEquals(0, map.totalBytes());
        }
    }

    @Test
    void snapshotViewIsReadOnlyAndIsolated()
    {
        try (ExtentMap map = ExtentMap.inMemory())
        {
            map.insert(0, 10, 1);
            try (ExtentMap view = map.snapshotView())
            {
                map.insert(10, 20, 1);
                assertEquals("[0,10)=1", extents(view));
                assertEquals(10, view.totalBytes());
                assertThrows(UnsupportedOperationException.class, () -> view.insert(0, 1, 1));
            }
        }
    }

    @Test
    void rejectsBadRanges()
    {
        try (ExtentMap map = ExtentMap.inMemory())
        {
            assertThrows(IllegalArgumentException.class, () -> map.insert(-1, 3, 0));
            assertThrows(IllegalArgumentException.class, () -> map.insert(5, 3, 0));
        }
    }

    /** A million extents against a TreeMap model (distinct payloads so nothing merges). */
    @Test
    void millionExtents()
    {
        final int n = 1_000_000;
        try (ExtentMap map = ExtentMap.inMemory())
        {
            final TreeMap<Long, long[]> model = new TreeMap<>();
            for (int i = 0; i < n; i++)
            {
                final long start = i * 16L;
                map.insert(start, start + 8, i);
                model.put(start, new long[] {start + 8, i});
            }
            assertEquals(n, map.extentCount());
            assertEquals(8L * n, map.totalBytes());
            // Random overwrites and removes spanning several extents.
            final SplittableRandom random = new SplittableRandom(7);
            final long space = 16L * n;
            for (int i = 0; i < 20_000; i++)
            {
                final long s = random.nextLong(space);
                final long e = Math.min(space, s + 1 + random.nextLong(100));
                if (random.nextBoolean())
                {
                    map.remove(s, e);
                    modelRemove(model, s, e);
                }
                else
                {
                    final long p = n + i;
                    map.insert(s, e, p);
                    modelRemove(model, s, e);
                    model.put(s, new long[] {e, p});
                }
            }
            long total = 0;
            for (final var entry : model.entrySet())
            {
                total += entry.getValue()[0] - entry.getKey();
            }
            assertEquals(model.size(), map.extentCount());
            assertEquals(total, map.totalBytes());
            final ExtentCursor c = map.cursor(0);
            for (final var entry : model.entrySet())
            {
                c.next();
                assertEquals(entry.getKey(), c.start());
                assertEquals(entry.getValue()[0], c.end());
                assertEquals(entry.getValue()[1], c.payload());
            }
        }
    }

    private static void modelRemove(final TreeMap<Long, long[]> model, final long s, final long e)
    {
        final var left = model.lowerEntry(s);
        if (left != null && left.getValue()[0] > s)
        {
            final long end = left.getValue()[0];
            final long p = left.getValue()[1];
            model.put(left.getKey(), new long[] {s, p});
            if (end > e)
            {
                model.put(e, new long[] {end, p});
                return;
            }
        }
        Long k = model.ceilingKey(s);
        while (k != null && k < e)
        {
            final long[] v = model.remove(k);
            if (v[0] > e)
            {
                model.put(e, v);
                break;
            }
            k = model.ceilingKey(k);
        }
    }
}
