package io.presync.forecast;

import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.constraints.IntRange;
import net.jqwik.api.constraints.LongRange;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** HeatModel against a naive reference that recomputes every decayed sum from the full event list. */
class HeatModelProperties
{
    private static final long REGION_BYTES = 1 << 20;
    private static final int REGIONS = 16;
    private static final long DEVICE_BYTES = REGIONS * REGION_BYTES - 12345; // last region partial

    record Write(long offsetBytes, long lengthBytes, long timeNanos) {}

    /** The definition: heat_r(now) = Σ over writes touching r of 2^(-(now - t) / H). */
    static double[] referenceHeat(final List<Write> writes, final long halfLifeNanos, final long nowNanos)
    {
        final double[] heat = new double[REGIONS];
        for (final Write w : writes)
        {
            final long end = Math.min(w.offsetBytes + w.lengthBytes, DEVICE_BYTES);
            for (int r = 0; r < REGIONS; r++)
            {
                final long start = r * REGION_BYTES;
                if (w.offsetBytes < start + REGION_BYTES && end > start && w.offsetBytes < DEVICE_BYTES)
                {
                    heat[r] += Math.pow(2.0, -(double)(nowNanos - w.timeNanos) / halfLifeNanos);
                }
            }
        }
        return heat;
    }

    @Provide
    Arbitrary<List<Write>> writes()
    {
        final Arbitrary<Long> offsets = Arbitraries.longs().between(0, REGIONS * REGION_BYTES + REGION_BYTES);
        final Arbitrary<Long> lengths = Arbitraries.longs().between(1, 3 * REGION_BYTES);
        final Arbitrary<Long> times = Arbitraries.longs().between(0, 1_000_000_000_000L);
        return Combinators.combine(offsets, lengths, times).as(Write::new).list().ofMaxSize(200);
    }

    private static HeatModel replay(final List<Write> writes, final long halfLifeNanos)
    {
        final HeatModel model = new HeatModel(DEVICE_BYTES, REGION_BYTES, halfLifeNanos);
        for (final Write w : writes)
        {
            model.recordWrite(w.offsetBytes, w.lengthBytes, w.timeNanos);
        }
        return model;
    }

    private static long maxTime(final List<Write> writes)
    {
        long max = 0;
        for (final Write w : writes)
        {
            max = Math.max(max, w.timeNanos);
        }
        return max;
    }

    @Property(tries = 300)
    void heatMatchesReferenceInAnyEventOrder(
        @ForAll("writes") final List<Write> writes,
        @ForAll @LongRange(min = 1_000_000L, max = 1_000_000_000_000L) final long halfLifeNanos,
        @ForAll @LongRange(min = 0, max = 1_000_000_000_000L) final long afterNanos)
    {
        final long now = maxTime(writes) + afterNanos;
        final HeatModel model = replay(writes, halfLifeNanos);
        final double[] expected = referenceHeat(writes, halfLifeNanos, now);
        for (int r = 0; r < REGIONS; r++)
        {
            assertEquals(expected[r], model.heat(r, now), 1e-9 * Math.max(1.0, expected[r]), "region " + r);
        }
    }

    @Property(tries = 300)
    void hottestAreTheTopKByHeatHottestFirst(
        @ForAll("writes") final List<Write> writes,
        @ForAll @LongRange(min = 1_000_000L, max = 1_000_000_000_000L) final long halfLifeNanos,
        @ForAll @IntRange(min = 0, max = 20) final int k)
    {
        final long now = maxTime(writes);
        final HeatModel model = replay(writes, halfLifeNanos);
        final double[] expected = referenceHeat(writes, halfLifeNanos, now);
        final int[] out = new int[32];
        final int n = model.hottest(k, now, out);

        int positive = 0;
        for (final double h : expected)
        {
            positive += h > 0 ? 1 : 0;
        }
        assertEquals(Math.min(k, positive), n);
        final boolean[] chosen = new boolean[REGIONS];
        for (int i = 0; i < n; i++)
        {
            assertTrue(expected[out[i]] > 0);
            assertTrue(!chosen[out[i]], "a region appears twice");
            chosen[out[i]] = true;
            if (i > 0)
            {
                assertTrue(expected[out[i - 1]] >= expected[out[i]] * (1 - 1e-9), "hottest first");
            }
        }
        for (int r = 0; r < REGIONS; r++)
        {
            if (!chosen[r] && n > 0)
            {
                assertTrue(expected[r] <= expected[out[n - 1]] * (1 + 1e-9), "region " + r + " left out but hotter");
            }
        }
    }

    @Property(tries = 300)
    void coldFirstIsAPermutationInAscendingHeat(
        @ForAll("writes") final List<Write> writes,
        @ForAll @LongRange(min = 1_000_000L, max = 1_000_000_000_000L) final long halfLifeNanos)
    {
        final long now = maxTime(writes);
        final HeatModel model = replay(writes, halfLifeNanos);
        final int[] order = new int[REGIONS];
        model.coldFirst(now, order);
        final int[] sorted = order.clone();
        Arrays.sort(sorted);
        for (int r = 0; r < REGIONS; r++)
        {
            assertEquals(r, sorted[r]);
        }
        for (int i = 1; i < REGIONS; i++)
        {
            final double previous = model.heat(order[i - 1], now);
            final double current = model.heat(order[i], now);
            assertTrue(previous < current || (previous == current && order[i - 1] < order[i]),
                "position " + i + ": " + previous + " then " + current);
        }
    }

    @Property(tries = 200)
    void aMoreRecentWriteMakesARegionHotter(
        @ForAll("writes") final List<Write> history,
        @ForAll @LongRange(min = 1_000_000L, max = 1_000_000_000_000L) final long halfLifeNanos,
        @ForAll @LongRange(min = 0, max = 1_000_000_000_000L) final long earlier,
        @ForAll @LongRange(min = 1, max = 1_000_000_000L) final long gap)
    {
        // Regions 0 and 1 get the same history, then one extra write each; region 0's is later.
        final HeatModel model = new HeatModel(DEVICE_BYTES, REGION_BYTES, halfLifeNanos);
        for (final Write w : history)
        {
            model.recordRegionWrite(0, 1.0, w.timeNanos);
            model.recordRegionWrite(1, 1.0, w.timeNanos);
        }
        final long later = earlier + gap;
        model.recordRegionWrite(0, 1.0, later);
        model.recordRegionWrite(1, 1.0, earlier);
        final long now = Math.max(later, maxTime(history)) + halfLifeNanos;
        final double h0 = model.heat(0, now);
        final double h1 = model.heat(1, now);
        // Strictly hotter unless the difference is below double precision of the sum.
        assertTrue(h0 > h1 || Math.abs(h0 - h1) <= 1e-12 * h0, h0 + " vs " + h1);
    }

    @Property(tries = 300)
    void probabilityIsInUnitIntervalAndGrowsWithHorizonAndRate(
        @ForAll @IntRange(min = 0, max = 50) final int writes,
        @ForAll @IntRange(min = 0, max = 50) final int moreWrites,
        @ForAll @LongRange(min = 0, max = 1_000_000_000_000L) final long horizon,
        @ForAll @LongRange(min = 0, max = 1_000_000_000_000L) final long moreHorizon,
        @ForAll @LongRange(min = 1_000_000L, max = 1_000_000_000_000L) final long halfLifeNanos)
    {
        final HeatModel model = new HeatModel(DEVICE_BYTES, REGION_BYTES, halfLifeNanos);
        final long now = 5_000_000_000L;
        for (int i = 0; i < writes; i++)
        {
            model.recordRegionWrite(0, 1.0, now - i * 1000L);
            model.recordRegionWrite(1, 1.0, now - i * 1000L);
        }
        for (int i = 0; i < moreWrites; i++)
        {
            model.recordRegionWrite(1, 1.0, now - i * 7000L);
        }
        final double p = model.probabilityWrittenWithin(0, horizon, now);
        final double pLonger = model.probabilityWrittenWithin(0, horizon + moreHorizon, now);
        final double pHotter = model.probabilityWrittenWithin(1, horizon, now);
        for (final double x : new double[] {p, pLonger, pHotter})
        {
            assertTrue(x >= 0.0 && x <= 1.0, "probability " + x);
        }
        assertTrue(pLonger >= p, "longer horizon");
        assertTrue(pHotter >= p, "higher rate");
        if (writes == 0)
        {
            assertEquals(0.0, p);
        }
        // The model itself: P = 1 - exp(-heat * ln2 * horizon / H).
        final double expected = 1 - Math.exp(-model.heat(0, now) * Math.log(2) * horizon / halfLifeNanos);
        assertEquals(expected, p, 1e-12);
    }

    @Test
    void heatHalvesAfterOneHalfLife()
    {
        final HeatModel model = new HeatModel(DEVICE_BYTES, REGION_BYTES, 1_000_000_000L);
        model.recordWrite(3 * REGION_BYTES + 10, 100, 7_000_000_000L);
        assertEquals(1.0, model.heat(3, 7_000_000_000L), 1e-15);
        assertEquals(0.5, model.heat(3, 8_000_000_000L), 1e-15);
        assertEquals(0.25, model.heat(3, 9_000_000_000L), 1e-15);
        assertEquals(0.0, model.heat(2, 9_000_000_000L));
        assertEquals(1.0, model.writesPerSecond(3, 7_000_000_000L) / Math.log(2), 1e-12);
    }

    @Test
    void aWriteAcrossABoundaryCountsInEveryRegionItTouches()
    {
        final HeatModel model = new HeatModel(DEVICE_BYTES, REGION_BYTES, 1_000_000_000L);
        model.recordWrite(REGION_BYTES - 1, REGION_BYTES + 2, 0);
        assertEquals(0.0, model.heat(3, 0));
        for (int r = 0; r <= 2; r++)
        {
            assertEquals(1.0, model.heat(r, 0));
        }
        // Beyond the end of the device nothing is counted and nothing throws.
        model.recordWrite(DEVICE_BYTES - 1, 10 * REGION_BYTES, 0);
        assertEquals(1.0, model.heat(REGIONS - 1, 0));
        model.recordWrite(DEVICE_BYTES + REGION_BYTES, 10, 0);
        model.recordWrite(DEVICE_BYTES, 10, 0); // the last region is partial: its tail beyond the device is not it
        assertEquals(1.0, model.heat(REGIONS - 1, 0));
    }

    @Test
    void coldFirstPutsHotRegionsLastAndUnwrittenInAddressOrder()
    {
        final HeatModel model = new HeatModel(DEVICE_BYTES, REGION_BYTES, 1_000_000_000L);
        model.recordRegionWrite(5, 1.0, 0);
        model.recordRegionWrite(2, 1.0, 1_000_000_000L);
        model.recordRegionWrite(2, 1.0, 1_000_000_000L);
        final int[] order = new int[REGIONS];
        model.coldFirst(1_000_000_000L, order);
        final List<Integer> expected = new ArrayList<>();
        for (int r = 0; r < REGIONS; r++)
        {
            if (r != 5 && r != 2)
            {
                expected.add(r);
            }
        }
        expected.add(5);
        expected.add(2);
        assertEquals(expected, Arrays.stream(order).boxed().toList());
        final int[] hot = new int[4];
        assertEquals(2, model.hottest(4, 1_000_000_000L, hot));
        assertEquals(2, hot[0]);
        assertEquals(5, hot[1]);
    }
}
