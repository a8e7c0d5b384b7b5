package io.presync.jmh.forecast;

import io.presync.forecast.EtsFitter;
import io.presync.forecast.EtsSpec;
import io.presync.forecast.FittedModel;
import io.presync.forecast.GrowthForecast;
import io.presync.forecast.Transform;
import io.presync.forecast.Trend;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

import java.util.concurrent.TimeUnit;

/**
 * Costs of the growth forecaster on one week of 30-minute buckets (336 points, period 48): the O(1)
 * online update between refits (goal ≤ 50 ns), the horizon-sum forecast, and a full refit (goal
 * ≤ 5 ms; statsmodels' ETSModel fit of the same series is timed by scripts/statsmodels-fit-time).
 * <p>
 * The series is {@link #series(int)}: a deterministic formula (daily shape, slow growth, hash noise,
 * idle buckets) that the python comparison reproduces exactly.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Fork(value = 1, jvmArgsAppend = "-Xmx1g")
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
public class EtsBenchmark
{
    static final int PERIOD = 48;
    static final int POINTS = 336;
    private static final EtsSpec DAMPED_SEASONAL = EtsSpec.seasonal(Trend.DAMPED, PERIOD);

    private double[] data;
    private FittedModel model;
    private FittedModel log1pModel;
    private int cursor;

    /** Bytes written per 30-minute bucket: y_i = max(0, 2e6(1 + sin(2πi/48))² (1 + i/2000) + 1e6·noise_i − 5e5). */
    static double[] series(final int n)
    {
        final double[] y = new double[n];
        for (int i = 0; i < n; i++)
        {
            final double shape = 1.0 + Math.sin(2.0 * Math.PI * i / PERIOD);
            final double hash = Math.sin(i * 12.9898) * 43758.5453;
            final double noise = hash - Math.floor(hash);
            y[i] = Math.max(0.0, 2e6 * shape * shape * (1.0 + i / 2000.0) + 1e6 * noise - 5e5);
        }
        return y;
    }

    @Setup
    public void setUp()
    {
        data = series(POINTS);
        model = EtsFitter.fit(data, 0, POINTS, DAMPED_SEASONAL, Transform.NONE);
        log1pModel = EtsFitter.fit(data, 0, POINTS, DAMPED_SEASONAL, Transform.LOG1P);
        cursor = 0;
    }

    @Benchmark
    public void observe()
    {
        final int i = cursor;
        model.observe(data[i]);
        cursor = i + 1 == POINTS ? 0 : i + 1;
    }

    @Benchmark
    public void observeLog1p()
    {
        final int i = cursor;
        log1pModel.observe(data[i]);
        cursor = i + 1 == POINTS ? 0 : i + 1;
    }

    @Benchmark
    public GrowthForecast forecastSum16()
    {
        return model.forecastSum(16, 0.95);
    }

    @Benchmark
    @OutputTimeUnit(TimeUnit.MICROSECONDS)
    public GrowthForecast forecastSum16Log1pSimulated()
    {
        return log1pModel.forecastSum(16, 0.95);
    }

    @Benchmark
    @OutputTimeUnit(TimeUnit.MICROSECONDS)
    public GrowthForecast forecastSum16Bootstrap()
    {
        return model.forecastSumBootstrap(16, 0.95);
    }

    @Benchmark
    @OutputTimeUnit(TimeUnit.MICROSECONDS)
    public FittedModel refitDampedSeasonal336()
    {
        return EtsFitter.fit(data, 0, POINTS, DAMPED_SEASONAL, Transform.NONE);
    }

    @Benchmark
    @OutputTimeUnit(TimeUnit.MICROSECONDS)
    public FittedModel refitDampedSeasonal336Log1p()
    {
        return EtsFitter.fit(data, 0, POINTS, DAMPED_SEASONAL, Transform.LOG1P);
    }

    @Benchmark
    @OutputTimeUnit(TimeUnit.MICROSECONDS)
    public FittedModel fitAuto336()
    {
        return EtsFitter.fitAuto(data, 0, POINTS, PERIOD, Transform.LOG1P);
    }
}
