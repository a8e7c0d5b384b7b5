package io.presync.btree;

import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.ConcurrentModificationException;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.TreeMap;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class BTreeTest
{
    private static final boolean LONG = Boolean.getBoolean("presync.long");

    @Test
    void aMillionRandomEntries()
    {
        final int entries = LONG ? 10_000_000 : 1_000_000;
        final Random random = new Random(42);
        try (BTree tree = BTree.inMemory(1))
        {
            final long[] keys = new long[entries];
            int distinct = 0;
            for (int i = 0; i < entries; i++)
            {
                final long key = BTreeProperties.randomKey(random);
                keys[i] = key;
                if (tree.put(key, key ^ 0x5555))
                {
                    distinct++;
                }
            }
            assertEquals(entries, distinct, "64-bit random keys do not collide at this size");
            assertEquals(distinct, tree.size());
            java.util.Arrays.sort(keys);
            final Cursor cursor = tree.cursor(Long.MIN_VALUE + 1);
            long previous = Long.MIN_VALUE;
            long seen = 0;
            while (cursor.next())
            {
                assertTrue(cursor.key() > previous);
                assertEquals(cursor.key() ^ 0x5555, cursor.value(0));
                previous = cursor.key();
                seen++;
            }
            assertEquals(tree.size(), seen);
            final long[] out = new long[1];
            for (int i = 0; i < entries; i += 97)
            {
                assertTrue(tree.get(keys[i], out));
                assertEquals(keys[i] ^ 0x5555, out[0]);
            }
            final long pagesFull = tree.pageCount();
            for (int i = 0; i < entries; i += 2)
            {
                tree.remove(keys[i]);
            }
            for (int i = 0; i < entries; i++)
            {
                assertEquals(i % 2 == 1, tree.get(keys[i], out), "key " + keys[i]);
            }
            tree.checkInvariants();
            assertTrue(tree.pageCount() < pagesFull, "removing half must give pages back");
            assertEquals(tree.pageCount(), tree.store().pagesInUse());
        }
    }

    /** scripts/test --long: many more model-checked sequences than the default property runs. */
    @Test
    void longModelRuns()
    {
        org.junit.jupiter.api.Assumptions.assumeTrue(LONG, "set -Dpresync.long=true (scripts/test --long)");
        final Random random = new Random(2026);
        for (int run = 0; run < 60; run++)
        {
            final boolean full = random.nextInt(4) == 0;
            final int valueLongs = 1 + random.nextInt(full ? 8 : 3);
            BTreeProperties.run(random.nextLong(),
                full ? PageDescriptor.leafCapacity(valueLongs) : 3 + random.nextInt(10),
                full ? PageDescriptor.BRANCH_KEY_CAPACITY : 3 + random.nextInt(6),
                valueLongs, random.nextInt(6), full ? 20_000 : 4000);
        }
    }

    @Test
    void snapshotIsIsolatedAndReleasingItReturnsItsPages()
    {
        try (MemoryPageStore store = new MemoryPageStore())
        {
            final BTree tree = BTree.create(store, 2);
            final TreeMap<Long, long[]> model = new TreeMap<>();
            for (long key = 0; key < 50_000; key++)
            {
                tree.put(key * 10, key, -key);
                model.put(key * 10, new long[] {key, -key});
            }
            final long livePagesBefore = tree.pageCount();
            assertEquals(livePagesBefore, store.pagesInUse());
            final Snapshot snapshot = tree.snapshot();
            final TreeMap<Long, long[]> frozen = BTreeProperties.deepCopy(model);
            assertEquals(livePagesBefore, store.pagesInUse(), "a snapshot copies nothing");

            final Random random = new Random(3);
            for (int i = 0; i < 40_000; i++)
            {
                final long key = random.nextInt(600_000);
                if (random.nextBoolean())
                {
                    tree.put(key, i, i);
                    model.put(key, new long[] {i, i});
                }
                else
                {
                    assertEquals(model.remove(key) != null, tree.remove(key));
                }
            }
            tree.checkInvariants();
            BTreeProperties.assertSameContents(frozen, snapshot, 2);
            BTreeProperties.assertCursorFrom(model, tree.cursor(Long.MIN_VALUE + 1), Long.MIN_VALUE + 1, 2, Integer.MAX_VALUE);
            assertTrue(store.pagesInUse() > tree.pageCount(), "the snapshot holds the pages the tree replaced");
            final long freeBefore = store.freePages();
            snapshot.close();
            snapshot.close();
            assertEquals(tree.pageCount(), store.pagesInUse(), "back to the live tree's own pages");
            assertTrue(store.freePages() > freeBefore, "released pages go to the free list");
            assertEquals(tree.pageCount() * PageStore.PAGE_BYTES, tree.bytesInUse());
            tree.checkInvariants();
        }
    }

    @Test
    void manySnapshotCyclesLeakNoPage()
    {
        try (MemoryPageStore store = new MemoryPageStore())
        {
            final BTree tree = BTree.create(store, 1, 6, 4);
            final TreeMap<Long, long[]> model = new TreeMap<>();
            final List<Snapshot> open = new ArrayList<>();
            final List<TreeMap<Long, long[]>> openModels = new ArrayList<>();
            final Random random = new Random(11);
            for (int round = 0; round < 400; round++)
            {
                for (int i = 0; i < 40; i++)
                {
                    final long key = random.nextInt(2_000);
                    if (random.nextInt(3) > 0)
                    {
                        tree.put(key, round);
                        model.put(key, new long[] {round});
                    }
                    else
                    {
                        tree.remove(key);
                        model.remove(key);
                    }
                }
                if (random.nextBoolean() && open.size() < 6)
                {
                    open.add(tree.snapshot());
                    openModels.add(BTreeProperties.deepCopy(model));
                }
                else if (!open.isEmpty())
                {
                    final int which = random.nextInt(open.size());
                    BTreeProperties.assertSameContents(openModels.remove(which), open.get(which), 1);
                    open.remove(which).close();
                }
                // Every allocated page is reachable from the tree or an open snapshot, and the other way round.
                final Set<Long> reachable = new HashSet<>();
                collect(store, tree.rootPageId(), reachable);
                for (final Snapshot s : open)
                {
                    collect(store, s.rootPageId(), reachable);
                }
                assertEquals(reachable.size(), store.pagesInUse(), "round " + round);
                tree.checkInvariants();
            }
            for (final Snapshot s : open)
            {
                s.close();
            }
            assertEquals(tree.pageCount(), store.pagesInUse());
        }
    }

    private static void collect(final PageStore store, final long pageId, final Set<Long> into)
    {
        if (!into.add(pageId))
        {
            return;
        }
        final long page = store.readAddress(pageId);
        if (PageDescriptor.level(page) > 0)
        {
            for (int i = 0; i <= PageDescriptor.count(page); i++)
            {
                collect(store, PageDescriptor.child(page, i), into);
            }
        }
    }

    @Test
    void bulkLoadFillsPagesAndValidatesInput()
    {
        try (BTree tree = BTree.inMemory(2))
        {
            final int n = 100_000;
            final long[] keys = new long[n];
            final long[] values = new long[2 * n];
            for (int i = 0; i < n; i++)
            {
                keys[i] = 3L * i - 1000;
                values[2 * i] = i;
                values[2 * i + 1] = -i;
            }
            tree.bulkLoad(keys, values, n);
            tree.checkInvariants();
            assertEquals(n, tree.size());
            final int perLeaf = PageDescriptor.leafCapacity(2);
            assertTrue(tree.pageCount() <= (n + perLeaf - 1) / perLeaf + 5, "leaves nearly full: " + tree.pageCount());
            final long[] out = new long[2];
            assertTrue(tree.get(3L * 777 - 1000, out));
            assertArrayEquals(new long[] {777, -777}, out);
            assertEquals(3L * 777 - 1000, tree.floorKey(3L * 777 - 999));
            assertThrows(IllegalArgumentException.class, () -> tree.bulkLoad(keys, values, n));
        }
        try (BTree tree = BTree.inMemory(1))
        {
            assertThrows(IllegalArgumentException.class, () -> tree.bulkLoad(new long[] {1, 1}, new long[2], 2));
            assertThrows(IllegalArgumentException.class, () -> tree.put(BTree.NO_KEY, 1));
            assertFalse(tree.remove(BTree.NO_KEY));
        }
    }

    @Test
    void sequentialInsertFillsLeaves()
    {
        try (BTree tree = BTree.inMemory(1))
        {
            for (long key = 1; key <= 254_000; key++)
            {
                tree.put(key, key);
            }
            tree.checkInvariants();
            // 1000 full leaves plus a few branches: appends at the right edge leave pages full.
            assertTrue(tree.pageCount() <= 1010, "pages " + tree.pageCount());
        }
    }

    @Test
    void liveCursorRefusesToContinueAfterAChangeAndSeekRevalidates()
    {
        try (BTree tree = BTree.inMemory(1))
        {
            for (long key = 1; key <= 10; key++)
            {
                tree.put(key, key);
            }
            final Cursor cursor = tree.cursor(5);
            assertTrue(cursor.next());
            assertEquals(5, cursor.key());
            tree.put(100, 1);
            assertThrows(ConcurrentModificationException.class, cursor::next);
            cursor.seek(9);
            assertTrue(cursor.next());
            assertEquals(9, cursor.key());
            assertTrue(cursor.next());
            assertEquals(10, cursor.key());
            assertTrue(cursor.next());
            assertEquals(100, cursor.key());
            assertFalse(cursor.next());
        }
    }

    @Test
    void treeMapOfEmptyAndSingleKeyEdges()
    {
        try (BTree tree = BTree.inMemory(1))
        {
            assertEquals(BTree.NO_KEY, tree.floorKey(0));
            assertEquals(BTree.NO_KEY, tree.ceilingKey(0));
            assertFalse(tree.cursor(Long.MIN_VALUE).next());
            tree.put(Long.MAX_VALUE, 1);
            tree.put(Long.MIN_VALUE + 1, 2);
            assertEquals(Long.MAX_VALUE, tree.ceilingKey(0));
            assertEquals(BTree.NO_KEY, tree.higherKey(Long.MAX_VALUE));
            assertEquals(BTree.NO_KEY, tree.lowerKey(Long.MIN_VALUE + 1));
            assertEquals(Long.MIN_VALUE + 1, tree.lowerKey(Long.MAX_VALUE));
            for (final Map.Entry<Long, Long> e : Map.of(Long.MIN_VALUE + 1, 2L, Long.MAX_VALUE, 1L).entrySet())
            {
                final long[] out = new long[1];
                assertTrue(tree.get(e.getKey(), out));
                assertEquals((long)e.getValue(), out[0]);
            }
        }
    }
}
