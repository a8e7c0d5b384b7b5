package io.presync.forecast;

import java.util.SplittableRandom;

/** Series drawn from the ETS state-space equations, written out independently of FittedModel. */
final class Simulated
{
    private Simulated()
    {
    }

    /**
     * n values of ETS(A, trend, season) with the given parameters, initial level/trend and a
     * sinusoidal initial season of the given amplitude; innovations N(0, sigma²).
     */
    static double[] ets(final EtsSpec spec, final int n, final double alpha, final double beta, final double gamma,
        final double phi, final double level0, final double trend0, final double amplitude, final double sigma,
        final long seed)
    {
        final SplittableRandom random = new SplittableRandom(seed);
        final int m = spec.period();
        final double[] season = new double[m];
        if (spec.seasonal())
        {
            for (int j = 0; j < m; j++)
            {
                season[j] = amplitude * Math.sin(2 * Math.PI * j / m);
            }
        }
        final boolean hasTrend = spec.trend() != Trend.NONE;
        final double f = spec.trend() == Trend.DAMPED ? phi : 1.0;
        double l = level0;
        double b = hasTrend ? trend0 : 0.0;
        final double[] y = new double[n];
        for (int t = 0; t < n; t++)
        {
            final int j = t % m;
            final double e = sigma * random.nextGaussian();
            y[t] = l + f * b + season[j] + e;
            l = l + f * b + alpha * e;
            b = hasTrend ? f * b + beta * e : 0.0;
            season[j] += spec.seasonal() ? gamma * e : 0.0;
        }
        return y;
    }
}
