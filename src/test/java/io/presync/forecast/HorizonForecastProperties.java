package io.presync.forecast;

import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.DoubleRange;
import net.jqwik.api.constraints.Scale;
import net.jqwik.api.constraints.IntRange;
import net.jqwik.api.constraints.Size;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** HorizonForecast against simple reference models: a constant, independent noise, and the aggregation by hand. */
class HorizonForecastProperties
{
    private static final int[] PERIODS = {24, 48, 168};

    private static double[] array(final List<Double> values)
    {
        final double[] y = new double[values.size()];
        for (int i = 0; i < y.length; i++)
        {
            y[i] = values.get(i);
        }
        return y;
    }

    @Property(tries = 300)
    void theAggregationIsHalfTheHorizonKeepingAtLeastFourSums(
        @ForAll @Scale(4) @DoubleRange(min = 0.001, max = 1e5) final double horizon,
        @ForAll @IntRange(min = 4, max = 100_000) final int history)
    {
        final int b = HorizonForecast.bucketsPerStep(horizon, history);
        // Reference: the largest b <= history / 4 that is closest to horizon / 2, at least 1.
        final long half = Math.round(horizon / 2);
        final int expected = (int)Math.max(1, Math.min(half, history / 4));
        assertEquals(expected, b);
        assertTrue(history / b >= HorizonForecast.MIN_POINTS || b == 1);
    }

    @Property(tries = 200)
    void aConstantHistoryForecastsTheConstantTimesTheHorizon(
        @ForAll @Scale(4) @DoubleRange(min = 0, max = 1e9) final double value,
        @ForAll @IntRange(min = 8, max = 300) final int n,
        @ForAll @Scale(4) @DoubleRange(min = 0.5, max = 200) final double horizon,
        @ForAll @Scale(4) @DoubleRange(min = 0.5, max = 0.999) final double confidence)
    {
        final double[] y = new double[n];
        java.util.Arrays.fill(y, value);
        final HorizonForecast f = HorizonForecast.fit(y, 0, n, HorizonForecast.bucketsPerStep(horizon, n), PERIODS);
        assertEquals(value * horizon, f.mean(horizon), 1e-6 * (1 + value * horizon), f.name());
        // The fit's σ² on a constant is round-off, not 0, and a t quantile of few degrees magnifies it a little.
        assertEquals(value * horizon, f.quantile(horizon, confidence), 1e-3 * (1 + value * horizon), f.name());
    }

    @Property(tries = 40)
    void boundsAreOrderedNonNegativeAndWidenWithConfidence(
        @ForAll @Size(min = 8, max = 200) final List<@Scale(4) @DoubleRange(min = 0, max = 1e9) Double> values,
        @ForAll @Scale(4) @DoubleRange(min = 0.01, max = 500) final double horizon,
        @ForAll @Scale(4) @DoubleRange(min = 0.5, max = 0.98) final double confidence,
        @ForAll @Scale(4) @DoubleRange(min = 0.001, max = 0.019) final double extra)
    {
        final double[] y = array(values);
        final HorizonForecast f = HorizonForecast.fit(y, 0, y.length, HorizonForecast.bucketsPerStep(horizon, y.length), PERIODS);
        final double low = f.quantile(horizon, confidence);
        final double high = f.quantile(horizon, confidence + extra);
        assertTrue(high >= low && low >= 0 && Double.isFinite(high), low + " vs " + high + " " + f.name());
        assertTrue(f.quantile(horizon, 1 - confidence) <= low + 1e-9 * (1 + low));
        final GrowthForecast g = f.forecastSum(horizon, confidence);
        assertTrue(g.lower() <= g.mean() + 1e-6 && g.mean() <= g.upper() + 1e-6 && g.lower() >= 0, g.toString());
        assertEquals(f.quantile(horizon, 0.5 * (1 + confidence)), g.upper(), 1e-9 * (1 + g.upper()));
    }

    @Test
    void theModelIsFittedToSumsOfTheNewestBuckets()
    {
        // 10 buckets, b = 3: sums of y[1..3], y[4..6], y[7..9]; y[0] is dropped. A linear ramp makes any other split visible.
        final double[] y = new double[10];
        for (int i = 0; i < y.length; i++)
        {
            y[i] = i;
        }
        final HorizonForecast f = HorizonForecast.fit(y, 0, y.length, 3, PERIODS);
        assertEquals(3, f.points());
        assertEquals(3, f.bucketsPerStep());
        final FittedModel reference = EtsFitter.fitAuto(new double[] {1 + 2 + 3, 4 + 5 + 6, 7 + 8 + 9}, 0, 3, 1, Transform.NONE);
        assertEquals(reference.forecastSum(2, 0.5).mean(), f.mean(6), 1e-9);
    }

    /**
     * Reference model: independent buckets (gamma-like, positive, skewed: exponential). Over many origins the
     * one-sided 95% bound of the next H buckets' sum covers the realised sum in about 95% of them.
     */
    @Test
    void theOneSided95BoundCoversIndependentGrowthAbout95PercentOfTheTime()
    {
        final Random random = new Random(42);
        final int n = 240;
        final int horizon = 45;
        final int origins = 400;
        int covered = 0;
        for (int o = 0; o < origins; o++)
        {
            final double[] y = new double[n + horizon];
            for (int i = 0; i < y.length; i++)
            {
                y[i] = -Math.log(1 - random.nextDouble()) * 1e6;
            }
            final HorizonForecast f = HorizonForecast.fit(y, 0, n, HorizonForecast.bucketsPerStep(horizon, n), PERIODS);
            double actual = 0;
            for (int i = n; i < n + horizon; i++)
            {
                actual += y[i];
            }
            covered += actual <= f.quantile(horizon, 0.95) ? 1 : 0;
        }
        final double coverage = (double)covered / origins;
        // 400 independent trials at p = 0.95 have a standard deviation of 1.1 points.
        assertTrue(coverage >= 0.92 && coverage <= 0.995, "coverage " + coverage);
    }
}
