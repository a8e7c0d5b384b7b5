package io.presync.jmh.btree;

import io.presync.btree.BTree;
import io.presync.btree.MemoryPageStore;

import java.lang.management.ManagementFactory;
import java.lang.management.MemoryMXBean;
import java.util.Arrays;
import java.util.SplittableRandom;
import java.util.TreeMap;

/**
 * Bytes per entry of the B-tree (pages in use / size, and the store's reserved slabs / size) and of
 * {@code TreeMap<Long, Long>} (heap used after GC before and after building it), for random and
 * ascending inserts and for bulk load. Prints one JSON object; run by scripts/bench.d/btree:
 * {@code java -cp presync-jmh.jar io.presync.jmh.btree.BTreeFootprint [entries]}.
 */
public final class BTreeFootprint
{
    private BTreeFootprint()
    {
    }

    public static void main(final String[] args)
    {
        final int entries = args.length > 0 ? Integer.parseInt(args[0]) : 1_000_000;
        final SplittableRandom random = new SplittableRandom(1);
        final long[] keys = new long[entries];
        for (int i = 0; i < entries; i++)
        {
            keys[i] = random.nextLong(1, Long.MAX_VALUE);
        }
        final long[] sorted = keys.clone();
        Arrays.sort(sorted);

        final StringBuilder json = new StringBuilder("{\"entries\": ").append(entries);
        for (final String order : new String[] {"random", "sequential", "bulk"})
        {
            try (MemoryPageStore store = new MemoryPageStore())
            {
                final BTree tree = BTree.create(store, 1);
                if ("bulk".equals(order))
                {
                    tree.bulkLoad(sorted, sorted, entries);
                }
                else
                {
                    for (final long key : "random".equals(order) ? keys : sorted)
                    {
                        tree.put(key, key);
                    }
                }
                json.append(", \"btree_").append(order).append("_pages_bytes_per_entry\": ")
                    .append((double)tree.bytesInUse() / tree.size());
                json.append(", \"btree_").append(order).append("_reserved_bytes_per_entry\": ")
                    .append((double)store.reservedBytes() / tree.size());
            }
        }
        final MemoryMXBean memory = ManagementFactory.getMemoryMXBean();
        final long before = usedAfterGc(memory);
        TreeMap<Long, Long> map = new TreeMap<>();
        for (final long key : keys)
        {
            map.put(key, key);
        }
        final long after = usedAfterGc(memory);
        json.append(", \"treemap_heap_bytes_per_entry\": ").append((double)(after - before) / map.size());
        json.append(", \"treemap_analytic_bytes_per_entry\": ").append(40 + 16 + 16);
        map = null;
        System.out.println(json.append('}'));
    }

    private static long usedAfterGc(final MemoryMXBean memory)
    {
        for (int i = 0; i < 4; i++)
        {
            System.gc();
        }
        return memory.getHeapMemoryUsage().getUsed();
    }
}
