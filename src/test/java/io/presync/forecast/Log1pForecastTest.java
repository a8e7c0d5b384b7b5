package io.presync.forecast;

import org.junit.jupiter.api.Test;

import java.util.Arrays;
import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Back-transformation under LOG1P against an independent, larger simulation. */
class Log1pForecastTest
{
    private static final int PATHS = 100_000;

    private static FittedModel model()
    {
        final EtsSpec spec = EtsSpec.seasonal(Trend.DAMPED, 8);
        final double[] seasonal0 = new double[8];
        for (int j = 0; j < 8; j++)
        {
            seasonal0[j] = 1.5 * Math.sin(2 * Math.PI * j / 8);
        }
        final double[] y = new double[40];
        for (int i = 0; i < y.length; i++)
        {
            y[i] = Math.expm1(5.0 + 1.5 * Math.sin(2 * Math.PI * i / 8) + 0.7 * Math.sin(i * 1.7));
        }
        return EtsFitter.filter(y, 0, y.length, spec, Transform.LOG1P, 0.3, 0.05, 0.2, 0.9, 5.0, 0.0, seasonal0);
    }

    /** Sums of max(0, expm1(z)) along simulated paths of the fitted-scale model. */
    private static double[] simulate(final FittedModel model, final int h)
    {
        final SplittableRandom random = new SplittableRandom(99);
        final double sigma = Math.sqrt(model.sigma2());
        final double[] sums = new double[PATHS];
        final double cap = Math.expm1(model.ceiling());
        for (int p = 0; p < PATHS; p++)
        {
            final FittedModel path = model.copy();
            double total = 0.0;
            for (int i = 0; i < h; i++)
            {
                final double z = path.oneStepForecast() + sigma * random.nextGaussian();
                path.update(z);
                total += Math.min(cap, Math.max(0.0, Math.expm1(z)));
            }
            sums[p] = total;
        }
        Arrays.sort(sums);
        return sums;
    }

    @Test
    void oneStepUsesClosedFormsThatMatchSimulation()
    {
        final FittedModel model = model();
        final double[] sums = simulate(model, 1);
        final GrowthForecast f = model.forecastSum(1, 0.9);
        assertEquals(mean(sums), f.mean(), 0.01 * f.mean());
        assertEquals(FittedModel.quantile(sums, 0.95), f.upper(), 0.02 * f.upper());
        assertEquals(FittedModel.quantile(sums, 0.05), f.lower(), 0.02 * f.lower() + 1e-9);
        assertEquals(f.mean(), model.pointForecasts(1)[0], 1e-9 * f.mean());
    }

    @Test
    void horizonSumSimulationMatchesLargerSimulation()
    {
        final FittedModel model = model();
        final int h = 12;
        final double[] sums = simulate(model, h);
        final GrowthForecast f = model.forecastSum(h, 0.95);
        assertEquals(mean(sums), f.mean(), 0.05 * f.mean(), "mean");
        assertEquals(FittedModel.quantile(sums, 0.975), f.upper(), 0.10 * f.upper(), "upper");
        assertEquals(FittedModel.quantile(sums, 0.025), f.lower(), 0.10 * f.lower(), "lower");
        double pointSum = 0.0;
        for (final double v : model.pointForecasts(h))
        {
            pointSum += v;
        }
        assertEquals(pointSum, f.mean(), 0.05 * f.mean(), "mean of the sum = sum of the bias-adjusted means");
        assertTrue(pointSum > sumOfMedians(model, h), "bias adjustment raises the mean above the median");
        assertEquals(f, model.forecastSum(h, 0.95), "seeded: the same forecast every time");
    }

    private static double sumOfMedians(final FittedModel model, final int h)
    {
        double s = 0.0;
        for (int i = 1; i <= h; i++)
        {
            s += Math.max(0.0, Math.expm1(model.fittedScaleForecast(i)));
        }
        return s;
    }

    private static double mean(final double[] values)
    {
        double s = 0.0;
        for (final double v : values)
        {
            s += v;
        }
        return s / values.length;
    }

    @Test
    void burstySeriesWithHugeLogVarianceStaysFiniteAndCapped()
    {
        final double[] y = new double[200];
        for (int i = 0; i < y.length; i++)
        {
            y[i] = i % 3 == 0 ? 4e9 : 0.0;
        }
        for (int i = 0; i < y.length; i += 7)
        {
            y[i] = 1e3;
        }
        final FittedModel model = EtsFitter.fit(y, 0, y.length, EtsSpec.of(Trend.ADDITIVE), Transform.LOG1P);
        for (final int h : new int[] {1, 5, 48})
        {
            final GrowthForecast f = model.forecastSum(h, 0.95);
            assertTrue(Double.isFinite(f.mean()) && Double.isFinite(f.upper()) && Double.isFinite(f.sigma()), f.toString());
            assertTrue(f.upper() <= h * 10 * 4e9 * (1 + 1e-9), "at most 10x the largest bucket per step: " + f);
        }
        for (final double v : model.pointForecasts(48))
        {
            assertTrue(Double.isFinite(v) && v >= 0.0 && v <= 4e10 * (1 + 1e-9));
        }
    }

    /** Against midpoint-rule integration; erfc's 1.2e-7 relative error bounds the absolute error. */
    @Test
    void cappedMomentsMatchNumericalIntegration()
    {
        final double[][] cases = {{2.0, 0.5, 4.0}, {5.0, 9.0, 6.0}, {-1.0, 4.0, 3.0}, {20.0, 60.0, 24.0}, {0.0, 1e-4, 2.0}};
        for (final double[] c : cases)
        {
            final double mu = c[0];
            final double v = c[1];
            final double ceiling = c[2];
            double m1 = 0.0;
            double m2 = 0.0;
            final double s = Math.sqrt(v);
            final int steps = 400_000;
            final double lo = mu - 12 * s;
            final double dz = 24 * s / steps;
            for (int i = 0; i < steps; i++)
            {
                final double zz = lo + (i + 0.5) * dz;
                final double density = Math.exp(-0.5 * (zz - mu) * (zz - mu) / v) / Math.sqrt(2 * Math.PI * v);
                final double value = Math.min(Math.expm1(ceiling), Math.max(0.0, Math.expm1(zz)));
                m1 += value * density * dz;
                m2 += value * value * density * dz;
            }
            assertEquals(m1, FittedModel.clampedExpm1Mean(mu, v, ceiling), 1e-5 * m1 + 1e-7, "mean " + mu + "," + v);
            assertEquals(m2, FittedModel.clampedExpm1SecondMoment(mu, v, ceiling), 1e-5 * m2 + 1e-7, "second " + mu + "," + v);
        }
    }
}
