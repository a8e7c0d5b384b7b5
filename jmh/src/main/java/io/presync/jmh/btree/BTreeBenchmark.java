package io.presync.jmh.btree;

import io.presync.btree.BTree;
import io.presync.btree.Cursor;
import io.presync.btree.Snapshot;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;
import org.openjdk.jmh.infra.Blackhole;

import java.util.Arrays;
import java.util.Iterator;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;

/**
 * The off-heap B+tree against {@code java.util.TreeMap<Long, Long>} (the {@code impl} parameter),
 * one value long per key. Insert benchmarks build a map of {@code size} entries from empty per
 * invocation (one JMH operation = {@code size} inserts; scripts/bench.d/btree multiplies by size); get, scan and snapshot work on a map of {@code size}
 * random keys built once per trial. 10^7 works as a {@code -p size=10000000} value but is left out of
 * the default list: one insert invocation then takes tens of seconds and 1 GiB of TreeMap heap.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Warmup(iterations = 2, time = 1)
@Measurement(iterations = 3, time = 1)
@Fork(value = 1, jvmArgsAppend = {"-Xmx3g", "--enable-native-access=ALL-UNNAMED"})
public class BTreeBenchmark
{
    private static final int PROBES = 1 << 16;
    private static final int SCAN_LENGTH = 100;

    @Param({"btree", "treemap"})
    public String impl;

    @Param({"10000", "100000", "1000000"})
    public int size;

    private long[] randomKeys;
    private long[] sortedKeys;
    private long[] probes;
    private int probe;
    private boolean btree;

    private BTree tree;
    private Cursor cursor;
    private TreeMap<Long, Long> map;
    private final long[] valueOut = new long[1];

    @Setup(Level.Trial)
    public void setUp()
    {
        btree = "btree".equals(impl);
        final SplittableRandom random = new SplittableRandom(1);
        randomKeys = new long[size];
        for (int i = 0; i < size; i++)
        {
            randomKeys[i] = random.nextLong(1, Long.MAX_VALUE);
        }
        sortedKeys = randomKeys.clone();
        Arrays.sort(sortedKeys);
        probes = new long[PROBES];
        for (int i = 0; i < PROBES; i++)
        {
            probes[i] = randomKeys[random.nextInt(size)];
        }
        if (btree)
        {
            tree = BTree.inMemory(1);
            for (final long key : randomKeys)
            {
                tree.put(key, key);
            }
            cursor = tree.cursor(Long.MIN_VALUE + 1);
        }
        else
        {
            map = new TreeMap<>();
            for (final long key : randomKeys)
            {
                map.put(key, key);
            }
        }
    }

    @TearDown(Level.Trial)
    public void tearDown()
    {
        if (tree != null)
        {
            tree.close();
        }
    }

    private long nextProbe()
    {
        final long key = probes[probe];
        probe = (probe + 1) & (PROBES - 1);
        return key;
    }

    private long insertAll(final long[] keys)
    {
        if (btree)
        {
            try (BTree fresh = BTree.inMemory(1))
            {
                for (final long key : keys)
                {
                    fresh.put(key, key);
                }
                return fresh.size();
            }
        }
        final TreeMap<Long, Long> fresh = new TreeMap<>();
        for (final long key : keys)
        {
            fresh.put(key, key);
        }
        return fresh.size();
    }

    /** Builds a map of {@code size} random keys from empty (one operation = size inserts). */
    @Benchmark
    public void randomInsert(final Blackhole blackhole)
    {
        blackhole.consume(insertAll(randomKeys));
    }

    /** Builds a map of {@code size} ascending keys from empty (one operation = size inserts). */
    @Benchmark
    public void sequentialInsert(final Blackhole blackhole)
    {
        blackhole.consume(insertAll(sortedKeys));
    }

    /** Lookups per second of present keys in random order. */
    @Benchmark
    public long get()
    {
        final long key = nextProbe();
        if (btree)
        {
            return tree.get(key, valueOut) ? valueOut[0] : 0;
        }
        final Long value = map.get(key);
        return value == null ? 0 : value;
    }

    /**
     * Range scans per second of 100 entries from a random present key. The B-tree reuses one cursor
     * through {@link Cursor#seek} (its allocation-free API); TreeMap needs a tail view and an iterator.
     */
    @Benchmark
    public long rangeScan()
    {
        final long from = nextProbe();
        long sum = 0;
        if (btree)
        {
            final Cursor cursor = this.cursor;
            cursor.seek(from);
            for (int i = 0; i < SCAN_LENGTH && cursor.next(); i++)
            {
                sum += cursor.value(0);
            }
            return sum;
        }
        final Iterator<Map.Entry<Long, Long>> it = map.tailMap(from, true).entrySet().iterator();
        for (int i = 0; i < SCAN_LENGTH && it.hasNext(); i++)
        {
            sum += it.next().getValue();
        }
        return sum;
    }

    /**
     * A consistent point-in-time copy, then one write to the live map: O(1) plus a path copy for the
     * B-tree, a full copy for TreeMap (its only way to a stable view).
     */
    @Benchmark
    public long snapshot()
    {
        final long key = nextProbe();
        if (btree)
        {
            try (Snapshot snapshot = tree.snapshot())
            {
                tree.put(key, key + 1);
                return snapshot.size();
            }
        }
        final TreeMap<Long, Long> copy = new TreeMap<>(map);
        map.put(key, key + 1);
        return copy.size();
    }
}
