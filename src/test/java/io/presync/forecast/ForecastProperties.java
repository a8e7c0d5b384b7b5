package io.presync.forecast;

import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.DoubleRange;
import net.jqwik.api.constraints.IntRange;
import net.jqwik.api.constraints.Size;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Properties every fitted model's forecasts keep, on arbitrary non-negative series. */
class ForecastProperties
{
    private static FittedModel fit(final List<Double> values, final int period, final Transform t)
    {
        final double[] y = new double[values.size()];
        for (int i = 0; i < y.length; i++)
        {
            y[i] = values.get(i);
        }
        return EtsFitter.fitAuto(y, 0, y.length, period, t);
    }

    @Property(tries = 60)
    void higherConfidenceGivesAWiderInterval(
        @ForAll @Size(max = 80) final List<@DoubleRange(min = 0, max = 1e6) Double> values,
        @ForAll @IntRange(min = 1, max = 6) final int period,
        @ForAll final Transform transform,
        @ForAll @IntRange(min = 1, max = 20) final int h,
        @ForAll @DoubleRange(min = 0.05, max = 0.9) final double lowConfidence,
        @ForAll @DoubleRange(min = 0.01, max = 0.09) final double extra)
    {
        final FittedModel model = fit(values, period, transform);
        final GrowthForecast low = model.forecastSum(h, lowConfidence);
        final GrowthForecast high = model.forecastSum(h, lowConfidence + extra);
        assertTrue(high.lower() <= low.lower() + 1e-9 * (1 + low.lower()), low + " vs " + high);
        assertTrue(high.upper() >= low.upper() - 1e-9 * (1 + low.upper()), low + " vs " + high);
        assertEquals(low.mean(), high.mean(), 1e-9 * (1 + low.mean()), "the mean does not depend on confidence");
    }

    @Property(tries = 60)
    void neverNegativeAndOrdered(
        @ForAll @Size(max = 80) final List<@DoubleRange(min = 0, max = 1e9) Double> values,
        @ForAll @IntRange(min = 1, max = 6) final int period,
        @ForAll final Transform transform,
        @ForAll @IntRange(min = 1, max = 30) final int h,
        @ForAll @DoubleRange(min = 0.5, max = 0.99) final double confidence)
    {
        final FittedModel model = fit(values, period, transform);
        final GrowthForecast f = model.forecastSum(h, confidence);
        assertTrue(f.lower() >= 0.0 && f.mean() >= 0.0 && f.upper() >= 0.0, f.toString());
        assertTrue(f.lower() <= f.upper(), f.toString());
        assertTrue(Double.isFinite(f.upper()) && Double.isFinite(f.sigma()) && f.sigma() >= 0.0, f.toString());
        if (transform == Transform.NONE || model.isNaive())
        {
            assertTrue(f.lower() <= f.mean() && f.mean() <= f.upper(), f.toString());
        }
        for (final double v : model.pointForecasts(h))
        {
            assertTrue(v >= 0.0 && Double.isFinite(v));
        }
    }

    @Property(tries = 60)
    void uncertaintyGrowsWithTheHorizon(
        @ForAll @Size(min = 4, max = 80) final List<@DoubleRange(min = 0, max = 1e6) Double> values,
        @ForAll @IntRange(min = 1, max = 6) final int period,
        @ForAll final Transform transform,
        @ForAll @IntRange(min = 1, max = 30) final int h)
    {
        final FittedModel model = fit(values, period, transform);
        assertTrue(model.stepVariance(h + 1) >= model.stepVariance(h));
        assertTrue(model.sumVariance(h + 1) >= model.sumVariance(h));
        if (transform == Transform.NONE)
        {
            assertTrue(model.forecastSum(h + 1, 0.9).sigma() >= model.forecastSum(h, 0.9).sigma());
        }
    }

    @Property(tries = 60)
    void sumOfOneStepIsTheOneStepForecast(
        @ForAll @Size(max = 80) final List<@DoubleRange(min = 0, max = 1e6) Double> values,
        @ForAll @IntRange(min = 1, max = 6) final int period,
        @ForAll final Transform transform,
        @ForAll @DoubleRange(min = 0.5, max = 0.99) final double confidence)
    {
        final FittedModel model = fit(values, period, transform);
        final GrowthForecast f = model.forecastSum(1, confidence);
        final double step = model.pointForecasts(1)[0];
        assertEquals(step, f.mean(), 1e-9 * (1 + step));
        assertEquals(model.stepVariance(1), model.sumVariance(1), 1e-12 * (1 + model.stepVariance(1)));
    }
}
