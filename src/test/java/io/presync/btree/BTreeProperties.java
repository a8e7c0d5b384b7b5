package io.presync.btree;

import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Random operation sequences against {@link TreeMap}. Small node capacities (3..12 entries) make a
 * few thousand operations cross every split, borrow, merge and root change many times; key ranges
 * from narrow (heavy churn on the same keys) to wide, random and sequential.
 */
class BTreeProperties
{
    private static final long NONE = BTree.NO_KEY;

    @Property(tries = 60)
    void matchesTreeMap(
        @ForAll final long seed,
        @ForAll @IntRange(min = 3, max = 12) final int leafCapacity,
        @ForAll @IntRange(min = 3, max = 8) final int branchCapacity,
        @ForAll @IntRange(min = 1, max = 3) final int valueLongs,
        @ForAll @IntRange(min = 0, max = 5) final int keyShape)
    {
        run(seed, leafCapacity, branchCapacity, valueLongs, keyShape, 1500);
    }

    /**
     * Full-size pages (interpolation search, neighbour shifts at real capacities) with clustered and
     * exponentially spread keys that defeat the interpolation guess.
     */
    @Property(tries = 8)
    void matchesTreeMapWithFullPages(
        @ForAll final long seed,
        @ForAll @IntRange(min = 1, max = 8) final int valueLongs,
        @ForAll @IntRange(min = 0, max = 5) final int keyShape)
    {
        run(seed, PageDescriptor.leafCapacity(valueLongs), PageDescriptor.BRANCH_KEY_CAPACITY, valueLongs, keyShape, 12_000);
    }

    private static long key(final Random random, final int keyShape, final long keyRange)
    {
        return switch (keyShape)
        {
            case 3 -> randomKey(random);
            case 4 -> (random.nextInt(8) * 1_000_000_000_000L) + random.nextInt(5000); // clusters far apart
            case 5 -> 1L << random.nextInt(62) | random.nextInt(64);                  // exponential spread
            default -> Math.floorMod(random.nextLong(), keyRange) - keyRange / 4;
        };
    }

    static void run(
        final long seed, final int leafCapacity, final int branchCapacity, final int valueLongs, final int keyShape,
        final int baseOperations)
    {
        final Random random = new Random(seed);
        final long keyRange = switch (keyShape)
        {
            case 0 -> 40;
            case 1 -> 400;
            default -> 1_000_000;
        };
        try (MemoryPageStore store = new MemoryPageStore())
        {
            final BTree tree = BTree.create(store, valueLongs, leafCapacity, branchCapacity);
            final TreeMap<Long, long[]> model = new TreeMap<>();
            final List<Snapshot> snapshots = new ArrayList<>();
            final List<TreeMap<Long, long[]>> snapshotModels = new ArrayList<>();
            final long[] out = new long[valueLongs];
            long sequential = random.nextInt(1000) - 500;
            final int operations = baseOperations + random.nextInt(baseOperations);
            for (int op = 0; op < operations; op++)
            {
                final int kind = random.nextInt(100);
                final long key = key(random, keyShape, keyRange);
                if (kind < 35)
                {
                    final long[] value = randomValue(random, valueLongs);
                    assertEquals(model.put(key, value) == null, tree.put(key, value), "put " + key);
                }
                else if (kind < 45)
                {
                    // Sequential runs: appends at the right edge and their split policy.
                    final long[] value = randomValue(random, valueLongs);
                    final long k = sequential++;
                    assertEquals(model.put(k, value) == null, tree.put(k, value), "put seq " + k);
                }
                else if (kind < 70)
                {
                    final long target = random.nextInt(3) == 0 && !model.isEmpty() ? nearKey(model, random) : key;
                    assertEquals(model.remove(target) != null, tree.remove(target), "remove " + target);
                }
                else if (kind < 80)
                {
                    final long target = random.nextBoolean() && !model.isEmpty() ? nearKey(model, random) : key;
                    final long[] expected = model.get(target);
                    assertEquals(expected != null, tree.get(target, out));
                    if (expected != null)
                    {
                        assertArrayEquals(expected, out);
                    }
                    assertEquals(orNone(model.floorKey(target)), tree.floorKey(target), "floor " + target);
                    assertEquals(orNone(model.ceilingKey(target)), tree.ceilingKey(target), "ceiling " + target);
                    assertEquals(orNone(model.lowerKey(target)), tree.lowerKey(target), "lower " + target);
                    assertEquals(orNone(model.higherKey(target)), tree.higherKey(target), "higher " + target);
                }
                else if (kind < 85)
                {
                    assertCursorFrom(model, tree.cursor(key), key, valueLongs, 50);
                }
                else if (kind < 90 && snapshots.size() < 4)
                {
                    snapshots.add(tree.snapshot());
                    snapshotModels.add(deepCopy(model));
                }
                else if (kind < 94 && !snapshots.isEmpty())
                {
                    final int which = random.nextInt(snapshots.size());
                    final Snapshot snapshot = snapshots.remove(which);
                    final TreeMap<Long, long[]> snapshotModel = snapshotModels.remove(which);
                    assertSameContents(snapshotModel, snapshot, valueLongs);
                    snapshot.close();
                }
                else if (kind < 96)
                {
                    for (int i = 0; i < 20; i++)
                    {
                        assertEquals(model.remove(key + i) != null, tree.remove(key + i));
                    }
                }
                else if (kind < 97 && model.size() < 3000 && random.nextInt(baseOperations / 1000) == 0)
                {
                    // Clear and bulk-load what the model holds.
                    tree.clear();
                    final long[] keys = new long[model.size()];
                    final long[] values = new long[model.size() * valueLongs];
                    int i = 0;
                    for (final Map.Entry<Long, long[]> e : model.entrySet())
                    {
                        keys[i] = e.getKey();
                        System.arraycopy(e.getValue(), 0, values, i * valueLongs, valueLongs);
                        i++;
                    }
                    tree.bulkLoad(keys, values, keys.length);
                }
                if (op % (baseOperations / 15) == 0)
                {
                    tree.checkInvariants();
                    assertEquals(model.size(), tree.size());
                }
            }
            tree.checkInvariants();
            assertEquals(model.size(), tree.size());
            assertCursorFrom(model, tree.cursor(Long.MIN_VALUE + 1), Long.MIN_VALUE + 1, valueLongs, Integer.MAX_VALUE);
            for (int i = 0; i < snapshots.size(); i++)
            {
                assertSameContents(snapshotModels.get(i), snapshots.get(i), valueLongs);
                snapshots.get(i).close();
            }
            // No leaks: with every snapshot closed the store holds exactly the tree's pages.
            assertEquals(tree.pageCount(), store.pagesInUse());
            tree.checkInvariants();
        }
    }

    static long randomKey(final Random random)
    {
        long key;
        do
        {
            key = random.nextLong();
        }
        while (key == Long.MIN_VALUE);
        return key;
    }

    private static long nearKey(final TreeMap<Long, long[]> model, final Random random)
    {
        final long probe = model.firstKey() + (long)(random.nextDouble() * (double)(model.lastKey() - model.firstKey()));
        final Long k = model.ceilingKey(probe);
        return k == null ? model.lastKey() : k;
    }

    private static long[] randomValue(final Random random, final int valueLongs)
    {
        final long[] value = new long[valueLongs];
        for (int i = 0; i < valueLongs; i++)
        {
            value[i] = random.nextLong();
        }
        return value;
    }

    private static long orNone(final Long key)
    {
        return key == null ? NONE : key;
    }

    static TreeMap<Long, long[]> deepCopy(final TreeMap<Long, long[]> model)
    {
        final TreeMap<Long, long[]> copy = new TreeMap<>();
        for (final Map.Entry<Long, long[]> e : model.entrySet())
        {
            copy.put(e.getKey(), e.getValue().clone());
        }
        return copy;
    }

    static void assertCursorFrom(
        final TreeMap<Long, long[]> model, final Cursor cursor, final long from, final int valueLongs, final int limit)
    {
        int seen = 0;
        for (final Map.Entry<Long, long[]> e : model.tailMap(from, true).entrySet())
        {
            if (seen++ == limit)
            {
                return;
            }
            assertTrue(cursor.next(), "cursor ended early before " + e.getKey());
            assertEquals((long)e.getKey(), cursor.key());
            for (int i = 0; i < valueLongs; i++)
            {
                assertEquals(e.getValue()[i], cursor.value(i));
            }
        }
        assertFalse(cursor.next(), "cursor has more than the model");
        assertFalse(cursor.next());
    }

    static void assertSameContents(final TreeMap<Long, long[]> model, final Snapshot snapshot, final int valueLongs)
    {
        assertEquals(model.size(), snapshot.size());
        assertCursorFrom(model, snapshot.cursor(Long.MIN_VALUE + 1), Long.MIN_VALUE + 1, valueLongs, Integer.MAX_VALUE);
        final long[] out = new long[valueLongs];
        for (final Map.Entry<Long, long[]> e : model.entrySet())
        {
            assertTrue(snapshot.get(e.getKey(), out));
            assertTrue(Arrays.equals(e.getValue(), out));
            assertEquals((long)e.getKey(), snapshot.floorKey(e.getKey()));
        }
    }
}
