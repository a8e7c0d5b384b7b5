package io.presync.forecast;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class EtsSmokeTest
{
    @Test
    void fitsSeasonalSeriesAndForecastsSum()
    {
        final int m = 48;
        final double[] y = new double[336];
        final java.util.Random random = new java.util.Random(1);
        for (int i = 0; i < y.length; i++)
        {
            y[i] = 100 + 0.1 * i + 20 * Math.sin(2 * Math.PI * i / m) + random.nextGaussian() * 3;
        }
        final FittedModel model = EtsFitter.fitAuto(y, 0, y.length, m, Transform.NONE);
        System.out.println(model);
        assertTrue(model.spec().seasonal());
        final GrowthForecast f = model.forecastSum(16, 0.95);
        System.out.println(f);
        assertTrue(f.lower() < f.mean() && f.mean() < f.upper());
        assertEquals(m, EtsFitter.detectPeriod(y, 0, y.length, new int[] {24, 48, 336}));
    }
}
