package io.presync.forecast;

import org.junit.jupiter.api.Test;

import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class BootstrapForecastTest
{
    @Test
    void gaussianResidualsReproduceTheAnalyticInterval()
    {
        final EtsSpec spec = EtsSpec.seasonal(Trend.DAMPED, 12);
        final double[] y = Simulated.ets(spec, 600, 0.3, 0.05, 0.1, 0.9, 1000, 1, 50, 10, 21);
        final FittedModel model = EtsFitter.fit(y, 0, y.length, spec, Transform.NONE);
        for (final int h : new int[] {1, 8, 30})
        {
            final GrowthForecast analytic = model.forecastSum(h, 0.9);
            final GrowthForecast bootstrap = model.forecastSumBootstrap(h, 0.9);
            assertEquals(analytic.mean(), bootstrap.mean(), 0.01 * analytic.mean(), "h=" + h);
            assertEquals(analytic.sigma(), bootstrap.sigma(), 0.1 * analytic.sigma(), "h=" + h);
            assertEquals(analytic.upper() - analytic.lower(), bootstrap.upper() - bootstrap.lower(),
                0.1 * (analytic.upper() - analytic.lower()), "h=" + h);
            assertEquals(bootstrap, model.forecastSumBootstrap(h, 0.9), "seeded");
        }
    }

    @Test
    void skewedResidualsGiveASkewedInterval()
    {
        // Level plus right-skewed (exponential) noise: bursts up, never far down.
        final SplittableRandom random = new SplittableRandom(5);
        final double[] y = new double[400];
        for (int i = 0; i < y.length; i++)
        {
            y[i] = 1000 + 300 * -Math.log(1 - random.nextDouble());
        }
        final FittedModel model = EtsFitter.fit(y, 0, y.length, EtsSpec.of(Trend.NONE), Transform.NONE);
        final GrowthForecast f = model.forecastSumBootstrap(1, 0.9);
        assertTrue(f.upper() - f.mean() > 1.5 * (f.mean() - f.lower()), f.toString());
        final GrowthForecast g = model.forecastSum(1, 0.9);
        assertEquals(g.upper() - g.mean(), g.mean() - g.lower(), 1e-6 * g.mean(), "the analytic interval is symmetric");
    }

    @Test
    void fallsBackWithoutResiduals()
    {
        final FittedModel naive = EtsFitter.fitAuto(new double[] {5, 7}, 0, 2, 1, Transform.NONE);
        assertEquals(naive.forecastSum(3, 0.8), naive.forecastSumBootstrap(3, 0.8));
    }
}
