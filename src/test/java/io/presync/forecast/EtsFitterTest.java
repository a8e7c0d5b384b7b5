package io.presync.forecast;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.lang.management.ManagementFactory;
import java.util.Arrays;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class EtsFitterTest
{
    @Test
    void recoversSeasonalParameters()
    {
        final EtsSpec spec = EtsSpec.seasonal(Trend.ADDITIVE, 12);
        final double[] y = Simulated.ets(spec, 2000, 0.3, 0.05, 0.1, 1.0, 100.0, 0.2, 10.0, 1.0, 1);
        final FittedModel model = EtsFitter.fit(y, 0, y.length, spec, Transform.NONE);
        assertEquals(spec, model.spec());
        assertEquals(0.3, model.alpha(), 0.05, model.toString());
        assertEquals(0.05, model.beta(), 0.03, model.toString());
        assertEquals(0.1, model.gamma(), 0.05, model.toString());
        assertEquals(1.0, model.sigma2(), 0.1, model.toString());
    }

    @Test
    void recoversDampedTrendParameters()
    {
        final EtsSpec spec = EtsSpec.of(Trend.DAMPED);
        final double[] y = Simulated.ets(spec, 2000, 0.5, 0.2, 0.0, 0.9, 50.0, 1.0, 0.0, 2.0, 2);
        final FittedModel model = EtsFitter.fit(y, 0, y.length, spec, Transform.NONE);
        assertEquals(0.5, model.alpha(), 0.05, model.toString());
        assertEquals(0.2, model.beta(), 0.05, model.toString());
        assertEquals(0.9, model.phi(), 0.05, model.toString());
        assertEquals(4.0, model.sigma2(), 0.4, model.toString());
    }

    @Test
    void recoversSimpleSmoothing()
    {
        final EtsSpec spec = EtsSpec.of(Trend.NONE);
        // The MLE's standard error is about √(α(2−α)/n) ≈ 0.02 here; allow three of them.
        final double[] y = Simulated.ets(spec, 2000, 0.6, 0.0, 0.0, 1.0, 10.0, 0.0, 0.0, 1.0, 3);
        final FittedModel model = EtsFitter.fit(y, 0, y.length, spec, Transform.NONE);
        assertEquals(0.6, model.alpha(), 0.06, model.toString());
    }

    @Test
    void aiccPicksTheGeneratingFamily()
    {
        final double[] level = Simulated.ets(EtsSpec.of(Trend.NONE), 400, 0.3, 0, 0, 1, 20, 0, 0, 1, 4);
        assertEquals(EtsSpec.of(Trend.NONE), EtsFitter.fitAuto(level, 0, level.length, 1, Transform.NONE).spec());

        final double[] trend = Simulated.ets(EtsSpec.of(Trend.ADDITIVE), 400, 0.3, 0.1, 0, 1, 20, 1.0, 0, 1, 5);
        final FittedModel trended = EtsFitter.fitAuto(trend, 0, trend.length, 1, Transform.NONE);
        assertNotEquals(Trend.NONE, trended.spec().trend(), trended.toString());
        assertFalse(trended.spec().seasonal());

        final EtsSpec seasonalSpec = EtsSpec.seasonal(Trend.NONE, 24);
        final double[] seasonal = Simulated.ets(seasonalSpec, 24 * 14, 0.2, 0, 0.1, 1, 50, 0, 8, 1, 6);
        final FittedModel withSeason = EtsFitter.fitAuto(seasonal, 0, seasonal.length, 24, Transform.NONE);
        assertTrue(withSeason.spec().seasonal(), withSeason.toString());
        assertEquals(24, withSeason.spec().period());

        // The same non-seasonal series offered a period: the seasonal states must not pay their way.
        final FittedModel noSeason = EtsFitter.fitAuto(level, 0, level.length, 24, Transform.NONE);
        assertFalse(noSeason.spec().seasonal(), noSeason.toString());
    }

    @Test
    void fitAutoReturnsTheSmallestAiccAndHonoursTheRange()
    {
        final EtsSpec generating = EtsSpec.seasonal(Trend.ADDITIVE, 12);
        final double[] y = Simulated.ets(generating, 260, 0.3, 0.05, 0.1, 1, 100, 0.3, 10, 2, 13);
        final FittedModel best = EtsFitter.fitAuto(y, 10, 250, 12, Transform.NONE);
        for (final Trend trend : Trend.values())
        {
            for (final boolean seasonal : new boolean[] {false, true})
            {
                final FittedModel candidate = EtsFitter.fit(y, 10, 250, new EtsSpec(trend, seasonal, 12), Transform.NONE);
                assertTrue(best.aicc() <= candidate.aicc(), best + " vs " + candidate);
            }
        }
        final double[] slice = Arrays.copyOfRange(y, 10, 250);
        final FittedModel same = EtsFitter.fitAuto(slice, 0, slice.length, 12, Transform.NONE);
        assertEquals(best.spec(), same.spec());
        assertEquals(best.aicc(), same.aicc(), 0.0);
        assertEquals(best.forecastSum(16, 0.95), same.forecastSum(16, 0.95));
    }

    @Test
    void longPeriodsKeepHeuristicSeasonalStatesAndStillFit()
    {
        final EtsSpec spec = EtsSpec.seasonal(Trend.NONE, 240);
        final int n = 1000;
        assertTrue((long)n * spec.initialStateCount() * spec.initialStateCount() / 2 > EtsFitter.POLISH_BUDGET);
        final double[] y = Simulated.ets(spec, n, 0.2, 0, 0.05, 1, 100, 0, 10, 1, 14);
        final FittedModel model = EtsFitter.fit(y, 0, n, spec, Transform.NONE);
        assertEquals(spec, model.spec());
        assertTrue(model.sigma2() < 1.5, "the season is captured without the least-squares polish: " + model);
    }

    @Test
    void onlineObserveContinuesTheFilterExactly()
    {
        final EtsSpec spec = EtsSpec.seasonal(Trend.DAMPED, 12);
        final double[] y = Simulated.ets(spec, 240, 0.3, 0.05, 0.1, 0.9, 100, 0.5, 10, 1, 8);
        final FittedModel fitted = EtsFitter.fit(y, 0, 200, spec, Transform.NONE);
        final FittedModel online = fitted.copy();
        for (int i = 200; i < y.length; i++)
        {
            online.observe(y[i]);
        }
        final FittedModel batch = EtsFitter.filter(y, 0, y.length, spec, Transform.NONE, fitted.alpha(), fitted.beta(),
            fitted.gamma(), fitted.phi(), fitted.initialLevel, fitted.initialTrend, fitted.initialSeasonal);
        assertEquals(batch.level(), online.level(), 1e-9);
        assertEquals(batch.slope(), online.slope(), 1e-9);
        for (int step = 1; step <= 12; step++)
        {
            assertEquals(batch.seasonalFor(step), online.seasonalFor(step), 1e-9);
        }
        assertEquals(y.length, online.observations());
        assertEquals(200, fitted.observations(), "copy() leaves the original alone");
    }

    @Test
    void observeDoesNotAllocate()
    {
        final EtsSpec spec = EtsSpec.seasonal(Trend.DAMPED, 48);
        final double[] y = Simulated.ets(spec, 336, 0.3, 0.05, 0.1, 0.9, 100, 0.5, 10, 1, 9);
        final FittedModel model = EtsFitter.fit(y, 0, y.length, spec, Transform.NONE);
        final com.sun.management.ThreadMXBean threads = (com.sun.management.ThreadMXBean)ManagementFactory.getThreadMXBean();
        for (int i = 0; i < 20_000; i++)
        {
            model.observe(y[i % y.length]);
        }
        final long before = threads.getCurrentThreadAllocatedBytes();
        for (int i = 0; i < 100_000; i++)
        {
            model.observe(y[i % y.length]);
        }
        final long allocated = threads.getCurrentThreadAllocatedBytes() - before;
        assertTrue(allocated < 10_000, "observe allocated " + allocated + " bytes over 100000 calls");
    }

    @Test
    void constantAndZeroSeriesGiveFiniteForecasts()
    {
        final double[] constant = new double[200];
        Arrays.fill(constant, 4096.0);
        for (final Transform t : Transform.values())
        {
            final FittedModel model = EtsFitter.fitAuto(constant, 0, constant.length, 48, t);
            final GrowthForecast f = model.forecastSum(8, 0.95);
            assertEquals(8 * 4096.0, f.mean(), 1e-3 * 8 * 4096.0, model.toString());
            assertTrue(Double.isFinite(f.lower()) && Double.isFinite(f.upper()) && Double.isFinite(model.aicc()));
            assertTrue(f.upper() - f.lower() < 1.0, f.toString());
        }
        final double[] zeros = new double[200];
        for (final Transform t : Transform.values())
        {
            final FittedModel model = EtsFitter.fitAuto(zeros, 0, zeros.length, 48, t);
            final GrowthForecast f = model.forecastSum(8, 0.95);
            assertEquals(0.0, f.mean(), 1e-6, model.toString());
            assertEquals(0.0, f.lower(), 1e-6);
            assertTrue(f.upper() >= 0.0 && f.upper() < 1e-3, f.toString());
        }
    }

    @ParameterizedTest
    @ValueSource(ints = {0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10})
    void shortSeriesNeverThrow(final int n)
    {
        final double[] y = new double[n];
        for (int i = 0; i < n; i++)
        {
            y[i] = 1000.0 + 100.0 * (i % 3);
        }
        for (final Transform t : Transform.values())
        {
            final FittedModel model = EtsFitter.fitAuto(y, 0, n, 48, t);
            final GrowthForecast f = model.forecastSum(4, 0.95);
            assertTrue(Double.isFinite(f.mean()) && f.mean() >= 0.0, model + " " + f);
            assertTrue(f.lower() <= f.mean() && f.mean() <= f.upper(), model + " " + f);
            final FittedModel explicit = EtsFitter.fit(y, 0, n, EtsSpec.seasonal(Trend.DAMPED, 48), t);
            assertFalse(explicit.spec().seasonal(), "too short for a season: " + explicit);
            assertTrue(Double.isFinite(explicit.forecastSum(4, 0.8).upper()));
        }
        if (n < EtsFitter.MIN_OBSERVATIONS)
        {
            final FittedModel naive = EtsFitter.fitAuto(y, 0, n, 1, Transform.NONE);
            assertTrue(naive.isNaive());
            assertEquals("NAIVE(mean)", naive.name());
            final double mean = n == 0 ? 0.0 : Arrays.stream(y).average().orElse(0.0);
            assertEquals(4 * mean, naive.forecastSum(4, 0.95).mean(), 1e-9);
        }
    }

    @Test
    void seasonalSpecFallsBackWhenShorterThanTwoPeriods()
    {
        final double[] y = Simulated.ets(EtsSpec.seasonal(Trend.NONE, 48), 90, 0.2, 0, 0.1, 1, 50, 0, 8, 1, 10);
        assertFalse(EtsFitter.fit(y, 0, y.length, EtsSpec.seasonal(Trend.NONE, 48), Transform.NONE).spec().seasonal());
        assertFalse(EtsFitter.fitAuto(y, 0, y.length, 48, Transform.NONE).spec().seasonal());
    }

    @Test
    void rejectsBadValuesNamingTheIndex()
    {
        final double[] y = {1, 2, 3, Double.NaN, 5, 6};
        final IllegalArgumentException nan = assertThrows(IllegalArgumentException.class,
            () -> EtsFitter.fitAuto(y, 0, y.length, 1, Transform.NONE));
        assertTrue(nan.getMessage().contains("y[3]"), nan.getMessage());
        assertEquals(EtsSpec.of(Trend.NONE), EtsFitter.fit(y, 0, 3, EtsSpec.of(Trend.NONE), Transform.NONE).spec());
        final double[] negative = {1, 2, -3, 4, 5, 6};
        final IllegalArgumentException log = assertThrows(IllegalArgumentException.class,
            () -> EtsFitter.fit(negative, 0, negative.length, EtsSpec.of(Trend.NONE), Transform.LOG1P));
        assertTrue(log.getMessage().contains("y[2]"), log.getMessage());
        assertThrows(IllegalArgumentException.class, () -> EtsFitter.fitAuto(y, 2, 1, 1, Transform.NONE));
        final double[] inf = {1, 2, 3, 4, 5, Double.POSITIVE_INFINITY};
        assertTrue(assertThrows(IllegalArgumentException.class,
            () -> EtsFitter.detectPeriod(inf, 0, inf.length, new int[] {2})).getMessage().contains("y[5]"));
        final FittedModel model = EtsFitter.fitAuto(new double[] {1, 2, 3, 4, 5, 6, 7, 8}, 0, 8, 1, Transform.NONE);
        assertThrows(IllegalArgumentException.class, () -> model.observe(Double.NaN));
        assertThrows(IllegalArgumentException.class, () -> model.forecastSum(0, 0.9));
        assertThrows(IllegalArgumentException.class, () -> model.forecastSum(3, 1.0));
    }

    @Test
    void neverForecastsNegativeBytes()
    {
        final double[] falling = new double[60];
        for (int i = 0; i < falling.length; i++)
        {
            falling[i] = 600.0 - 10.0 * i + (i % 2);
        }
        final FittedModel model = EtsFitter.fit(falling, 0, falling.length, EtsSpec.of(Trend.ADDITIVE), Transform.NONE);
        final GrowthForecast f = model.forecastSum(100, 0.99);
        assertTrue(f.mean() >= 0.0 && f.lower() >= 0.0 && f.upper() >= 0.0, f.toString());
        for (final double v : model.pointForecasts(100))
        {
            assertTrue(v >= 0.0);
        }
    }

    @Test
    void detectsTheDailyPeriod()
    {
        final double[] y = Simulated.ets(EtsSpec.seasonal(Trend.NONE, 48), 48 * 7, 0.1, 0, 0.05, 1, 100, 0, 20, 3, 11);
        assertEquals(48, EtsFitter.detectPeriod(y, 0, y.length, new int[] {48, 336}));
        final double[] noise = Simulated.ets(EtsSpec.of(Trend.NONE), 48 * 7, 0.0001, 0, 0, 1, 100, 0, 0, 3, 12);
        assertEquals(1, EtsFitter.detectPeriod(noise, 0, noise.length, new int[] {48, 336}));
        assertEquals(1, EtsFitter.detectPeriod(y, 0, 95, new int[] {48}), "shorter than two periods");
        assertEquals(1, EtsFitter.detectPeriod(new double[200], 0, 200, new int[] {48}), "constant");
    }

    @Test
    void inverseNormalCdf()
    {
        assertEquals(1.959963984540054, Normal.inverseCdf(0.975), 1e-15);
        assertEquals(0.0, Normal.inverseCdf(0.5), 0.0);
        assertEquals(-1.2815515655446004, Normal.inverseCdf(0.1), 1e-15);
        assertEquals(-6.361340902404056, Normal.inverseCdf(1e-10), 1e-13);
        assertEquals(-Normal.inverseCdf(1e-300), Normal.inverseCdf(1.0 - 1e-16) + 0.0 * 1, 30.0);
        assertEquals(0.975, Normal.cdf(1.959963984540054), 1e-7);
    }
}
