package io.presync.forecast;

import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.constraints.IntRange;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * The ring-array model against a reference written with the full state vector and explicit matrices
 * (Hyndman et al. 2008, ch. 3): x = (l, b, s_t, s_{t-1}, …, s_{t-m+1}), y_t = w'x_{t-1} + ε_t,
 * x_t = F x_{t-1} + g ε_t. The horizon-sum variance is checked against covariance propagation of the
 * state augmented with the running sum, an independent route to the same quantity.
 */
class StateSpaceProperties
{
    record Params(Trend trend, int m, double alpha, double beta, double gamma, double phi)
    {
    }

    @Provide
    Arbitrary<Params> params()
    {
        return Combinators.combine(
            Arbitraries.of(Trend.class),
            Arbitraries.integers().between(1, 13),
            Arbitraries.doubles().between(0.001, 0.999).ofScale(4),
            Arbitraries.doubles().between(0.001, 0.999).ofScale(4),
            Arbitraries.doubles().between(0.001, 0.999).ofScale(4),
            Arbitraries.doubles().between(0.8, 0.98).ofScale(4))
            .as((trend, m, alpha, b, g, phi) -> new Params(trend, m, alpha, alpha * b, (1 - alpha) * g, phi));
    }

    private static FittedModel model(final Params p, final double sigma2)
    {
        final EtsSpec spec = new EtsSpec(p.trend(), p.m() > 1, p.m());
        final double[] seasonal0 = new double[p.m()];
        for (int j = 0; j < p.m(); j++)
        {
            seasonal0[j] = Math.sin(j + 1.0);
        }
        final FittedModel model = new FittedModel(spec, Transform.NONE, p.alpha(), p.beta(), p.gamma(), p.phi(),
            3.0, 0.25, seasonal0);
        model.finish(sigma2 * 10, sigma2, Double.POSITIVE_INFINITY, 10);
        return model;
    }

    /** State dimension 2 + m; seasonal states only when m > 1. */
    private static int dimension(final Params p)
    {
        return 2 + (p.m() > 1 ? p.m() : 0);
    }

    private static double[][] transition(final Params p)
    {
        final int k = dimension(p);
        final double phi = p.trend() == Trend.DAMPED ? p.phi() : 1.0;
        final boolean trend = p.trend() != Trend.NONE;
        final double[][] f = new double[k][k];
        f[0][0] = 1.0;
        f[0][1] = trend ? phi : 0.0;
        f[1][1] = trend ? phi : 0.0;
        if (p.m() > 1)
        {
            f[2][k - 1] = 1.0;              // s_t = s_{t-m}
            for (int i = 3; i < k; i++)
            {
                f[i][i - 1] = 1.0;          // the rest shift one lag down
            }
        }
        return f;
    }

    private static double[] observation(final Params p)
    {
        final int k = dimension(p);
        final double[] w = new double[k];
        w[0] = 1.0;
        w[1] = p.trend() == Trend.NONE ? 0.0 : (p.trend() == Trend.DAMPED ? p.phi() : 1.0);
        if (p.m() > 1)
        {
            w[k - 1] = 1.0;
        }
        return w;
    }

    private static double[] gain(final Params p)
    {
        final double[] g = new double[dimension(p)];
        g[0] = p.alpha();
        g[1] = p.trend() == Trend.NONE ? 0.0 : p.beta();
        if (p.m() > 1)
        {
            g[2] = p.gamma();
        }
        return g;
    }

    private static double[] times(final double[][] a, final double[] x)
    {
        final double[] y = new double[x.length];
        for (int i = 0; i < x.length; i++)
        {
            double s = 0.0;
            for (int j = 0; j < x.length; j++)
            {
                s += a[i][j] * x[j];
            }
            y[i] = s;
        }
        return y;
    }

    private static double dot(final double[] a, final double[] b)
    {
        double s = 0.0;
        for (int i = 0; i < a.length; i++)
        {
            s += a[i] * b[i];
        }
        return s;
    }

    @Property(tries = 300)
    void errorWeightsAreWTransposeFPowerG(@ForAll("params") final Params p, @ForAll @IntRange(min = 1, max = 40) final int j)
    {
        final double[][] f = transition(p);
        double[] v = gain(p);
        for (int i = 1; i < j; i++)
        {
            v = times(f, v);
        }
        final double expected = dot(observation(p), v);
        assertEquals(expected, model(p, 1.0).errorWeight(j), 1e-12 * (1 + Math.abs(expected)));
    }

    @Property(tries = 300)
    void pointForecastsIterateTheStateVector(@ForAll("params") final Params p, @ForAll @IntRange(min = 1, max = 40) final int h)
    {
        final FittedModel model = model(p, 1.0);
        final int k = dimension(p);
        double[] x = new double[k];
        x[0] = 3.0;
        x[1] = p.trend() == Trend.NONE ? 0.0 : 0.25;
        if (p.m() > 1)
        {
            // x[2] = s_0 (the newest), x[k-1] = s_{1-m} (used next): the time-ordered seasonal0 reversed.
            for (int j = 0; j < p.m(); j++)
            {
                x[2 + j] = Math.sin(p.m() - j + 0.0);
            }
        }
        final double[][] f = transition(p);
        final double[] w = observation(p);
        for (int i = 1; i < h; i++)
        {
            x = times(f, x);
        }
        final double expected = dot(w, x);
        assertEquals(expected, model.fittedScaleForecast(h), 1e-9 * (1 + Math.abs(expected)));
    }

    @Property(tries = 300)
    void sumVarianceEqualsCovariancePropagation(@ForAll("params") final Params p, @ForAll @IntRange(min = 1, max = 40) final int h)
    {
        final double sigma2 = 2.5;
        final int k = dimension(p);
        // Augmented state (x, S): x_i = F x_{i-1} + g ε_i, S_i = S_{i-1} + w'x_{i-1} + ε_i.
        final int n = k + 1;
        final double[][] a = new double[n][n];
        final double[][] f = transition(p);
        final double[] w = observation(p);
        final double[] g = gain(p);
        for (int i = 0; i < k; i++)
        {
            System.arraycopy(f[i], 0, a[i], 0, k);
            a[k][i] = w[i];
        }
        a[k][k] = 1.0;
        final double[] b = new double[n];
        System.arraycopy(g, 0, b, 0, k);
        b[k] = 1.0;
        double[][] cov = new double[n][n];
        final double[] stepVariances = new double[h];
        for (int step = 0; step < h; step++)
        {
            stepVariances[step] = dot(w, times(sub(cov, k), w)) + sigma2;
            final double[][] next = new double[n][n];
            for (int i = 0; i < n; i++)
            {
                for (int j = 0; j < n; j++)
                {
                    double s = 0.0;
                    for (int u = 0; u < n; u++)
                    {
                        for (int v = 0; v < n; v++)
                        {
                            s += a[i][u] * cov[u][v] * a[j][v];
                        }
                    }
                    next[i][j] = s + sigma2 * b[i] * b[j];
                }
            }
            cov = next;
        }
        final FittedModel model = model(p, sigma2);
        assertEquals(cov[k][k], model.sumVariance(h), 1e-9 * cov[k][k]);
        assertEquals(stepVariances[h - 1], model.stepVariance(h), 1e-9 * stepVariances[h - 1]);
    }

    private static double[][] sub(final double[][] m, final int k)
    {
        final double[][] s = new double[k][k];
        for (int i = 0; i < k; i++)
        {
            System.arraycopy(m[i], 0, s[i], 0, k);
        }
        return s;
    }
}
