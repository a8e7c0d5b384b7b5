package io.presync.jmh.forecast;

import io.presync.forecast.HeatModel;
import io.presync.forecast.RollingForecaster;
import io.presync.forecast.Transform;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

import java.util.concurrent.TimeUnit;

/**
 * Per-event costs of the heat model on a 1 TiB device in 64 MiB regions (16,384 regions): recording a
 * write (lazy decay, one exp per touched region), the top-64 hot set and the full cold-first order;
 * and {@link RollingForecaster#observe} with a refit every 48 observations (the O(1) state update plus
 * the amortised window copy; the fit itself runs on the refit thread).
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Fork(value = 1, jvmArgsAppend = "-Xmx1g")
@Warmup(iterations = 2, time = 1)
@Measurement(iterations = 3, time = 1)
public class HeatBenchmark
{
    private static final long DEVICE_BYTES = 1L << 40;
    private static final long REGION_BYTES = 64L << 20;
    private static final long HALF_LIFE_NANOS = TimeUnit.MINUTES.toNanos(10);
    private static final int OFFSETS = 1 << 16;

    private HeatModel heat;
    private long[] offsets;
    private int[] hot;
    private int[] order;
    private int cursor;
    private long nowNanos;

    private RollingForecaster rolling;
    private double[] series;
    private int seriesCursor;

    @Setup
    public void setUp()
    {
        heat = new HeatModel(DEVICE_BYTES, REGION_BYTES, HALF_LIFE_NANOS);
        offsets = new long[OFFSETS];
        long x = 0x9E3779B97F4A7C15L;
        for (int i = 0; i < OFFSETS; i++)
        {
            x ^= x << 13;
            x ^= x >>> 7;
            x ^= x << 17;
            // Skewed: half the writes go to the first 1/64 of the device, as hot data does.
            final long span = (i & 1) == 0 ? DEVICE_BYTES / 64 : DEVICE_BYTES;
            offsets[i] = Math.floorMod(x, span) & ~4095L;
        }
        for (int i = 0; i < OFFSETS; i++)
        {
            heat.recordWrite(offsets[i], 65536, i * 1_000_000L);
        }
        nowNanos = OFFSETS * 1_000_000L;
        hot = new int[64];
        order = new int[heat.regionCount()];

        rolling = new RollingForecaster(48, 336, 48, Transform.NONE);
        series = EtsBenchmark.series(336);
        for (final double v : series)
        {
            rolling.observe(v);
        }
    }

    @TearDown
    public void tearDown()
    {
        rolling.close();
    }

    @Benchmark
    public void recordWrite()
    {
        final int i = cursor;
        nowNanos += 1000;
        heat.recordWrite(offsets[i], 65536, nowNanos);
        cursor = (i + 1) & (OFFSETS - 1);
    }

    @Benchmark
    public int hottest64()
    {
        return heat.hottest(64, nowNanos, hot);
    }

    @Benchmark
    @OutputTimeUnit(TimeUnit.MICROSECONDS)
    public int coldFirstOrder()
    {
        heat.coldFirst(nowNanos, order);
        return order[0];
    }

    @Benchmark
    public void rollingObserve()
    {
        final int i = seriesCursor;
        rolling.observe(series[i]);
        seriesCursor = i + 1 == series.length ? 0 : i + 1;
    }
}
