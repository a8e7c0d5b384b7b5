package io.presync.forecast;

import org.junit.jupiter.api.Test;

import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class CombinedForecastTest
{
    private static final int PERIOD = 12;

    /** A fixed daily-like shape plus independent Gaussian noise of the given sd: nothing for a model to learn but the shape. */
    static double[] seasonal(final int n, final double sd, final long seed)
    {
        return seasonal(n, sd, seed, 0);
    }

    /** The same, the season shifted by {@code phase} buckets. */
    static double[] seasonal(final int n, final double sd, final long seed, final int phase)
    {
        final SplittableRandom random = new SplittableRandom(seed);
        final double[] y = new double[n];
        for (int t = 0; t < n; t++)
        {
            y[t] = 1000 + 300 * Math.sin(2 * Math.PI * (t + phase) / PERIOD) + sd * random.nextGaussian();
        }
        return y;
    }

    static double sum(final double[] y, final int from, final int to)
    {
        double s = 0;
        for (int i = from; i < to; i++)
        {
            s += y[i];
        }
        return s;
    }

    @Test
    void rewoundModelReplaysTheFittedFilter()
    {
        final double[] y = seasonal(200, 40, 1);
        for (final EtsSpec spec : new EtsSpec[] {EtsSpec.of(Trend.NONE), EtsSpec.seasonal(Trend.DAMPED, PERIOD)})
        {
            final FittedModel model = EtsFitter.fit(y, 0, y.length, spec, Transform.NONE);
            final FittedModel replay = model.rewound();
            for (final double v : y)
            {
                replay.observe(v);
            }
            for (final int h : new int[] {1, 5, 30})
            {
                assertEquals(model.forecastSum(h, 0.9).mean(), replay.sumForecast(h, new double[h]), 1e-9 * h * 1000, spec + " h=" + h);
            }
        }
    }

    @Test
    void pointIsTheWeightedMeanOfEtsAndSeasonalNaive()
    {
        final double[] y = seasonal(150, 40, 2);
        final FittedModel model = EtsFitter.fit(y, 10, 150, EtsSpec.of(Trend.NONE), Transform.NONE);
        final int h = 5;
        final double ets = model.forecastSum(h, 0.9).mean();
        final double naive = sum(y, 150 - PERIOD, 150 - PERIOD + h);
        for (final double w : new double[] {0.0, 0.3, 0.5, 1.0})
        {
            final GrowthForecast f = CombinedForecast.forecastSum(model, y, 10, 150, PERIOD, h, 0.9, w);
            assertEquals(w * ets + (1 - w) * naive, f.mean(), 1e-9 * ets, "w=" + w);
            assertEquals("ETS(A,N,N)+SNAIVE", f.model());
            assertEquals(h, f.horizonSteps());
            assertEquals(0.9, f.confidence());
            assertTrue(f.lower() <= f.upper(), f.toString());
        }
        assertEquals(CombinedForecast.forecastSum(model, y, 10, 150, PERIOD, h, 0.9, CombinedForecast.CHOOSE_WEIGHT),
            CombinedForecast.forecastSum(model, y, 10, 150, PERIOD, h, 0.9), "the in-sample weight is the default");
    }

    @Test
    void inSampleWeightNeedsEnoughSums()
    {
        // 140 points, period 12, h = 5: 124 in-sample sums ≥ 20 · 5, the weight is chosen; h = 7: 122 < 140, it is 0.5.
        final double[] y = seasonal(150, 40, 2);
        final FittedModel model = EtsFitter.fit(y, 10, 150, EtsSpec.of(Trend.NONE), Transform.NONE);
        final GrowthForecast few = CombinedForecast.forecastSum(model, y, 10, 150, PERIOD, 7, 0.9);
        assertEquals(CombinedForecast.forecastSum(model, y, 10, 150, PERIOD, 7, 0.9, 0.5), few);
        // ETS(A,N,N) misses the season that seasonal naive repeats, so in-sample the weight leans to seasonal naive.
        final double ets = model.forecastSum(5, 0.9).mean();
        final double naive = sum(y, 150 - PERIOD, 150 - PERIOD + 5);
        final double chosen = CombinedForecast.forecastSum(model, y, 10, 150, PERIOD, 5, 0.9).mean();
        final double w = (chosen - naive) / (ets - naive);
        assertTrue(w >= -1e-9 && w < 0.5, "w = " + w);
        assertEquals(Math.round(w * 20) / 20.0, w, 1e-6, "on the grid of 0.05");
    }

    @Test
    void seasonalNaiveRepeatsTheLastPeriodBeyondOnePeriod()
    {
        final double[] y = {1, 2, 3, 4, 5, 6, 7};
        assertEquals(5 + 6 + 7 + 5 + 6, CombinedForecast.seasonalNaiveSum(y, 7, 3, 5));
        assertEquals(7 * 4, CombinedForecast.seasonalNaiveSum(y, 7, 1, 4));
    }

    @Test
    void chosenWeightFollowsTheBetterForecast()
    {
        final double[] actual = {10, 20, 30, 40};
        final double[] good = {10, 20, 30, 40};
        final double[] bad = {40, 5, 60, 0};
        assertEquals(1.0, CombinedForecast.chooseWeight(good, bad, actual));
        assertEquals(0.0, CombinedForecast.chooseWeight(bad, good, actual));
        assertEquals(0.5, CombinedForecast.chooseWeight(new double[0], new double[0], new double[0]));
        // Both equally right: the tie goes to the equal mix.
        assertEquals(0.5, CombinedForecast.chooseWeight(good, good, actual));
    }

    /**
     * On series with a fixed season and Gaussian noise of known sd, the upper bound at two-sided
     * confidence 0.9 is the 95% quantile: the held-out sums stay under it about 95% of the time, and
     * above the lower bound about 95% of the time. 600 independent series, one origin each; the
     * tolerance is about three binomial standard deviations (0.9%) plus the in-sample optimism.
     */
    @Test
    void empiricalUpperBoundCoversTheRequestedShareOfHeldOutSums()
    {
        final int trials = 600;
        // 10 periods: 105 in-sample sums at h = 4, at least 20 · 4, so the empirical interval is used.
        final int window = 10 * PERIOD;
        for (final int h : new int[] {1, 4})
        {
            int underUpper = 0;
            int overLower = 0;
            double width = 0;
            for (int trial = 0; trial < trials; trial++)
            {
                // Every phase of the season at the origin equally often, as the in-sample origins have them.
                final double[] y = seasonal(window + h, 50, 1000 * h + trial, trial % PERIOD);
                final FittedModel model = EtsFitter.fit(y, 0, window, EtsSpec.of(Trend.NONE), Transform.NONE);
                final GrowthForecast f = CombinedForecast.forecastSum(model, y, 0, window, PERIOD, h, 0.9);
                final double actual = sum(y, window, window + h);
                underUpper += actual <= f.upper() ? 1 : 0;
                overLower += actual >= f.lower() ? 1 : 0;
                width += f.upper() - f.lower();
            }
            final double upperShare = (double)underUpper / trials;
            final double lowerShare = (double)overLower / trials;
            assertEquals(0.95, upperShare, 0.035, "h=" + h + " share under the upper bound");
            assertEquals(0.95, lowerShare, 0.035, "h=" + h + " share over the lower bound");
            // Sanity on the width: the seasonal naive half of the mix alone has an sd of 50·sqrt(2h)/2
            // in the sum; the 90% interval cannot be narrower than a fraction of that.
            assertTrue(width / trials > 2 * 1.645 * 50 * Math.sqrt(2.0 * h) / 2 * 0.5, "h=" + h + " width " + width / trials);
        }
    }

    @Test
    void higherConfidenceGivesAWiderInterval()
    {
        final double[] y = seasonal(300, 60, 3);
        final FittedModel model = EtsFitter.fitAuto(y, 0, y.length, PERIOD, Transform.NONE);
        double lastLower = Double.POSITIVE_INFINITY;
        double lastUpper = 0;
        for (final double c : new double[] {0.5, 0.8, 0.9, 0.95})
        {
            final GrowthForecast f = CombinedForecast.forecastSum(model, y, 0, y.length, PERIOD, 4, c);
            assertTrue(f.upper() >= lastUpper && f.lower() <= lastLower, "c=" + c + " " + f);
            lastLower = f.lower();
            lastUpper = f.upper();
        }
    }

    @Test
    void constantSeriesCollapsesTheInterval()
    {
        final double[] y = new double[120];
        java.util.Arrays.fill(y, 5000);
        final FittedModel model = EtsFitter.fitAuto(y, 0, y.length, PERIOD, Transform.NONE);
        final GrowthForecast f = CombinedForecast.forecastSum(model, y, 0, y.length, PERIOD, 4, 0.9);
        assertEquals(20000, f.mean(), 1e-6 * 20000, f.toString());
        assertEquals(20000, f.lower(), 1e-6 * 20000, f.toString());
        assertEquals(20000, f.upper(), 1e-6 * 20000, f.toString());
        assertEquals(0, f.sigma(), 1e-6 * 20000, f.toString());
    }

    @Test
    void shortSeriesFallsBackToTheAnalyticIntervalAroundTheCombinedPoint()
    {
        // 3 periods and h = 4: 36 − 12 − 4 + 1 = 21 in-sample origins would be enough; 2.5 periods (30) gives 15.
        final double[] y = seasonal(30, 40, 4);
        final FittedModel model = EtsFitter.fit(y, 0, y.length, EtsSpec.of(Trend.NONE), Transform.NONE);
        final GrowthForecast analytic = model.forecastSum(4, 0.9);
        final GrowthForecast f = CombinedForecast.forecastSum(model, y, 0, y.length, PERIOD, 4, 0.9);
        assertEquals(0.5 * analytic.mean() + 0.5 * sum(y, 30 - PERIOD, 30 - PERIOD + 4), f.mean(), 1e-9 * f.mean());
        assertEquals(analytic.upper() - analytic.mean(), f.upper() - f.mean(), 1e-6 * f.mean());
        assertEquals(analytic.mean() - analytic.lower(), f.mean() - f.lower(), 1e-6 * f.mean());
        assertEquals(analytic.sigma(), f.sigma());

        // Overlapping sums count as n / h: 21 one-step errors are enough at 0.9, 21 four-step sums are not.
        final double[] x = seasonal(36, 40, 5);
        final FittedModel mx = EtsFitter.fit(x, 0, x.length, EtsSpec.of(Trend.NONE), Transform.NONE);
        assertEquals(mx.forecastSum(4, 0.9).sigma(), CombinedForecast.forecastSum(mx, x, 0, x.length, PERIOD, 4, 0.9).sigma());

        // A confidence too high for the errors available falls back too: 21 errors cannot give a 99.5% quantile.
        final double[] z = seasonal(33, 40, 5);
        final FittedModel m = EtsFitter.fit(z, 0, z.length, EtsSpec.of(Trend.NONE), Transform.NONE);
        final GrowthForecast a = m.forecastSum(1, 0.99);
        final GrowthForecast g = CombinedForecast.forecastSum(m, z, 0, z.length, PERIOD, 1, 0.99, 0.5);
        assertEquals(a.upper() - a.mean(), g.upper() - g.mean(), 1e-6 * g.mean());
        final GrowthForecast empirical = CombinedForecast.forecastSum(m, z, 0, z.length, PERIOD, 1, 0.9, 0.5);
        assertTrue(empirical.sigma() != m.forecastSum(1, 0.9).sigma(), "21 errors are enough at 0.9: " + empirical);
    }

    @Test
    void withoutAFullPeriodItIsTheEtsForecastAlone()
    {
        final double[] y = seasonal(10, 40, 6);
        final FittedModel model = EtsFitter.fit(y, 0, y.length, EtsSpec.of(Trend.NONE), Transform.NONE);
        final GrowthForecast f = CombinedForecast.forecastSum(model, y, 0, y.length, PERIOD, 3, 0.8);
        final GrowthForecast analytic = model.forecastSum(3, 0.8);
        assertEquals(analytic.mean(), f.mean(), 1e-9 * f.mean());
        assertEquals(analytic.upper(), f.upper(), 1e-9 * f.mean());
        assertEquals("ETS(A,N,N)", f.model());
    }

    /** Bursty, mostly-zero series and a collapsing trend: no bound and no mean is ever negative, under either transform. */
    @Test
    void neverNegative()
    {
        for (long seed = 0; seed < 20; seed++)
        {
            final SplittableRandom random = new SplittableRandom(seed);
            final double[] y = new double[200];
            for (int t = 0; t < y.length; t++)
            {
                y[t] = seed % 2 == 0 ? (random.nextDouble() < 0.1 ? 1e9 * random.nextDouble() : 0) :
                    Math.max(0, 10_000 - 60.0 * t + 500 * random.nextGaussian());
            }
            for (final Transform transform : Transform.values())
            {
                final FittedModel model = EtsFitter.fitAuto(y, 0, y.length, PERIOD, transform);
                for (final int h : new int[] {1, 8})
                {
                    for (final double w : new double[] {0.5, CombinedForecast.CHOOSE_WEIGHT})
                    {
                        final GrowthForecast f = CombinedForecast.forecastSum(model, y, 0, y.length, PERIOD, h, 0.9, w);
                        assertTrue(f.mean() >= 0 && f.lower() >= 0 && f.upper() >= 0 && f.lower() <= f.upper() &&
                            f.sigma() >= 0, "seed " + seed + " " + transform + " h=" + h + ": " + f);
                    }
                }
            }
        }
    }

    @Test
    void rejectsBadArguments()
    {
        final double[] y = seasonal(60, 10, 7);
        final FittedModel model = EtsFitter.fit(y, 0, y.length, EtsSpec.of(Trend.NONE), Transform.NONE);
        assertThrows(IllegalArgumentException.class, () -> CombinedForecast.forecastSum(model, y, 0, 60, PERIOD, 0, 0.9));
        assertThrows(IllegalArgumentException.class, () -> CombinedForecast.forecastSum(model, y, 0, 60, PERIOD, 4, 1.0));
        assertThrows(IllegalArgumentException.class, () -> CombinedForecast.forecastSum(model, y, 0, 60, PERIOD, 4, 0.9, 1.5));
        assertThrows(IllegalArgumentException.class, () -> CombinedForecast.forecastSum(model, y, 0, 61, PERIOD, 4, 0.9));
        assertThrows(IllegalArgumentException.class, () -> CombinedForecast.forecastSum(model, y, 0, 60, 0, 4, 0.9));
    }
}
