package io.presync.forecast;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * Checks the filter, point forecasts and analytic per-step variances against statsmodels' ETSModel
 * with fixed parameters and known initial states (fixtures from scripts/statsmodels-fixtures).
 */
class StatsmodelsFixtureTest
{
    private static final double RELATIVE = 1e-6;

    @ParameterizedTest
    @ValueSource(strings = {"ann", "aan", "aadn", "ana", "aaa", "aada", "aada48"})
    void matchesStatsmodels(final String name) throws IOException
    {
        final Map<String, String[]> f = read(name);
        final Trend trend = Trend.valueOf(f.get("spec")[0]);
        final int m = Integer.parseInt(f.get("spec")[1]);
        final EtsSpec spec = new EtsSpec(trend, m > 1, Math.max(m, 1));
        final double[] params = doubles(f, "params");
        final double[] y = doubles(f, "y");
        final double[] seasonal0 = m > 1 ? doubles(f, "seasonal0") : new double[0];

        final FittedModel model = new FittedModel(spec, Transform.NONE, params[0], params[1], params[2], params[3],
            doubles(f, "level0")[0], doubles(f, "trend0")[0], seasonal0);
        final double[] fitted = doubles(f, "fitted");
        final double[] level = doubles(f, "level");
        final double[] slope = trend != Trend.NONE ? doubles(f, "trend") : null;
        final double[] season = m > 1 ? doubles(f, "season") : null;
        double sse = 0.0;
        for (int t = 0; t < y.length; t++)
        {
            close(fitted[t], model.oneStepForecast(), name + " fitted[" + t + "]");
            final double e = model.update(y[t]);
            sse += e * e;
            close(level[t], model.level(), name + " level[" + t + "]");
            if (slope != null)
            {
                close(slope[t], model.slope(), name + " trend[" + t + "]");
            }
            if (season != null)
            {
                close(season[t], model.seasonalFor(m), name + " season[" + t + "]");
            }
        }
        final double mse = doubles(f, "mse")[0];
        close(mse, sse / y.length, name + " mse");

        final FittedModel filtered = EtsFitter.filter(y, 0, y.length, spec, Transform.NONE, params[0], params[1],
            params[2], params[3], doubles(f, "level0")[0], doubles(f, "trend0")[0], seasonal0);
        close(mse, filtered.sigma2(), name + " sigma2");
        final double[] forecast = doubles(f, "forecast");
        final double[] variance = doubles(f, "variance");
        final double[] upper95 = doubles(f, "upper95");
        final double z = Normal.inverseCdf(0.975);
        for (int h = 1; h <= forecast.length; h++)
        {
            close(forecast[h - 1], filtered.fittedScaleForecast(h), name + " forecast h=" + h);
            close(variance[h - 1], filtered.stepVariance(h), name + " variance h=" + h);
            close(upper95[h - 1], filtered.fittedScaleForecast(h) + z * Math.sqrt(filtered.stepVariance(h)),
                name + " upper95 h=" + h);
        }
        // The sum of one step is the step itself.
        close(variance[0], filtered.sumVariance(1), name + " sum variance h=1");

        // Maximum likelihood: at least as good a fit as statsmodels' optimiser with every initial
        // state estimated (same spec, same series).
        final FittedModel fit = EtsFitter.fit(y, 0, y.length, spec, Transform.NONE);
        final double statsmodelsSse = doubles(f, "fit_sse")[0];
        System.out.printf("%s: fitted SSE %.6g vs statsmodels %.6g (%s)%n", name, fit.sse(), statsmodelsSse, fit);
        if (fit.sse() > statsmodelsSse * 1.001)
        {
            fail(name + ": fitted SSE " + fit.sse() + " worse than statsmodels' " + statsmodelsSse + " " + fit);
        }
    }

    private static void close(final double expected, final double actual, final String what)
    {
        if (!(Math.abs(expected - actual) <= RELATIVE * Math.abs(expected) + 1e-9))
        {
            fail(what + ": expected " + expected + " but was " + actual);
        }
    }

    private static double[] doubles(final Map<String, String[]> f, final String key)
    {
        final String[] text = f.get(key);
        assertNotNull(text, key);
        final double[] values = new double[text.length];
        for (int i = 0; i < text.length; i++)
        {
            values[i] = Double.parseDouble(text[i]);
        }
        return values;
    }

    private static Map<String, String[]> read(final String name) throws IOException
    {
        final Map<String, String[]> f = new HashMap<>();
        try (InputStream in = StatsmodelsFixtureTest.class.getResourceAsStream("/forecast/" + name + ".txt"))
        {
            assertNotNull(in, "fixture " + name);
            final BufferedReader reader = new BufferedReader(new InputStreamReader(in, StandardCharsets.US_ASCII));
            String line;
            while ((line = reader.readLine()) != null)
            {
                if (line.startsWith("#") || line.isBlank())
                {
                    continue;
                }
                final String[] parts = line.trim().split(" ");
                final String[] values = new String[parts.length - 1];
                System.arraycopy(parts, 1, values, 0, values.length);
                f.put(parts[0], values);
            }
        }
        assertEquals(true, f.containsKey("y"), "fixture " + name + " has y");
        return f;
    }
}
