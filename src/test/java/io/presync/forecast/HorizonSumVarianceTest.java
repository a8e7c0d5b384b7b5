package io.presync.forecast;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The analytic variance of the horizon sum (covariances between steps included) against a seeded
 * Monte-Carlo simulation of the state-space model: 200 000 paths, so the sample variance has a
 * relative standard error of about √(2/200000) = 0.3%; the tolerance is 3%.
 */
class HorizonSumVarianceTest
{
    private static final int PATHS = 200_000;

    @ParameterizedTest
    @CsvSource({
        "NONE, 1, 0.4, 0, 0, 1, 12",
        "ADDITIVE, 1, 0.4, 0.1, 0, 1, 16",
        "DAMPED, 1, 0.5, 0.2, 0, 0.85, 24",
        "NONE, 12, 0.3, 0, 0.3, 1, 30",
        "ADDITIVE, 7, 0.2, 0.05, 0.4, 1, 21",
        "DAMPED, 4, 0.6, 0.3, 0.35, 0.9, 16",
    })
    void sumVarianceMatchesSimulation(final Trend trend, final int m, final double alpha, final double beta,
        final double gamma, final double phi, final int h)
    {
        final EtsSpec spec = new EtsSpec(trend, m > 1, m);
        final double[] seasonal0 = new double[spec.period()];
        for (int j = 0; j < seasonal0.length && m > 1; j++)
        {
            seasonal0[j] = 3.0 * Math.cos(2 * Math.PI * j / m);
        }
        final double[] y = Simulated.ets(spec, 50, alpha, beta, gamma, phi, 10.0, 0.5, 3.0, 1.5, 7);
        final FittedModel model = EtsFitter.filter(y, 0, y.length, spec, Transform.NONE, alpha, beta, gamma, phi,
            10.0, 0.5, seasonal0);
        final double sigma = Math.sqrt(model.sigma2());

        final SplittableRandom random = new SplittableRandom(42);
        double sum = 0.0;
        double sumSquares = 0.0;
        double lastStep = 0.0;
        double lastStepSquares = 0.0;
        for (int p = 0; p < PATHS; p++)
        {
            final FittedModel path = model.copy();
            double total = 0.0;
            double value = 0.0;
            for (int i = 0; i < h; i++)
            {
                value = path.oneStepForecast() + sigma * random.nextGaussian();
                path.update(value);
                total += value;
            }
            sum += total;
            sumSquares += total * total;
            lastStep += value;
            lastStepSquares += value * value;
        }
        final double mean = sum / PATHS;
        final double variance = (sumSquares - PATHS * mean * mean) / (PATHS - 1);
        final double stepMean = lastStep / PATHS;
        final double stepVariance = (lastStepSquares - PATHS * stepMean * stepMean) / (PATHS - 1);

        assertEquals(model.sumVariance(h), variance, 0.03 * model.sumVariance(h), "sum variance");
        assertEquals(model.stepVariance(h), stepVariance, 0.03 * model.stepVariance(h), "last step variance");
        double expectedMean = 0.0;
        for (int i = 1; i <= h; i++)
        {
            expectedMean += model.fittedScaleForecast(i);
        }
        assertEquals(expectedMean, mean, 0.01 * Math.sqrt(model.sumVariance(h)) + 1e-9, "sum mean");

        double independent = 0.0;
        for (int i = 1; i <= h; i++)
        {
            independent += model.stepVariance(i);
        }
        assertTrue(model.sumVariance(h) > 1.1 * independent,
            "covariances between steps matter: " + model.sumVariance(h) + " vs " + independent);
    }
}
