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
        for (int p = 0; p < PATHS; p++)
        {
            final FittedModel path = model.copy();
            double total = 0.0;
            for (int i = 0; i < h; i++)
            {
                final double z = path.oneStepForecast() + sigma * random.nextGaussian();
                path.update(z);
                total += Math.max(0.0, Math.expm1(z));
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
}
