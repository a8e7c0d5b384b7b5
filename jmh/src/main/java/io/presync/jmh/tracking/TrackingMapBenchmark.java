package io.presync.jmh.tracking;

import io.presync.tracking.DirtyRangeConsumer;
import io.presync.tracking.RegionOrder;
import io.presync.tracking.TrackingMap;
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

import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;

/**
 * TrackingMap hot paths on a synthetic skewed write stream over 16 GiB (80 % of the writes into 64 hot
 * 1 MiB regions, 512 B to 64 KiB each): {@code mark} alone, and a copy cycle (16 marks, a 1 MiB
 * {@code nextBatch}, the clears of what it handed out). {@code config}: the default hierarchical
 * tracker, 4 KiB bitmaps everywhere, whole 1 MiB granules.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Warmup(iterations = 2, time = 1)
@Measurement(iterations = 3, time = 1)
@Fork(value = 1, jvmArgsAppend = {"-Xmx2g", "--enable-native-access=ALL-UNNAMED"})
public class TrackingMapBenchmark
{
    private static final long MIB = 1L << 20;
    private static final long SPACE = 16L << 30;
    private static final int WRITES = 1 << 20;
    private static final int MARKS_PER_CYCLE = 16;

    @Param({"hierarchical", "fine4k", "coarse1m"})
    public String config;

    private long[] offsets;
    private long[] lengths;
    private int next;
    private long seq;
    private TrackingMap map;

    private final long[] handed = new long[2 * 1024];
    private int handedCount;
    private final DirtyRangeConsumer collect = (s, e) ->
    {
        if (handedCount < handed.length)
        {
            handed[handedCount++] = s;
            handed[handedCount++] = e;
        }
    };

    @Setup(Level.Trial)
    public void setUp()
    {
        final SplittableRandom random = new SplittableRandom(3);
        final long[] hot = new long[64];
        for (int i = 0; i < hot.length; i++)
        {
            hot[i] = random.nextLong(SPACE / MIB) * MIB;
        }
        offsets = new long[WRITES];
        lengths = new long[WRITES];
        for (int i = 0; i < WRITES; i++)
        {
            final long offset = random.nextInt(5) != 0 ? hot[random.nextInt(hot.length)] + random.nextLong(MIB) : random.nextLong(SPACE);
            offsets[i] = offset & ~511L;
            lengths[i] = Math.min(SPACE - offsets[i], 512L * (1 + random.nextInt(128)));
        }
        final TrackingMap.Context context = new TrackingMap.Context();
        switch (config)
        {
            case "fine4k" -> context.promoteAfterWrites(1).coarseSpans(false).maxSeqArrays(Integer.MAX_VALUE);
            case "coarse1m" -> context.promoteAfterWrites(0).coarseSpans(false);
            default ->
            {
            }
        }
        map = new TrackingMap(context);
    }

    @TearDown(Level.Trial)
    public void tearDown()
    {
        map.close();
    }

    @Benchmark
    public long mark()
    {
        final int i = next;
        next = (i + 1) & (WRITES - 1);
        final long s = ++seq;
        map.mark(offsets[i], lengths[i], s, s);
        return s;
    }

    /** One copy cycle; throughput in cycles per second. */
    @Benchmark
    public long cycle()
    {
        for (int k = 0; k < MARKS_PER_CYCLE; k++)
        {
            mark();
        }
        handedCount = 0;
        final long got = map.nextBatch(RegionOrder.LBA, MIB, collect);
        final long readStartSeq = seq + 1;
        mark(); // a write landing while the batch is read
        for (int i = 0; i < handedCount; i += 2)
        {
            map.clear(handed[i], handed[i + 1], readStartSeq);
        }
        return got;
    }
}
