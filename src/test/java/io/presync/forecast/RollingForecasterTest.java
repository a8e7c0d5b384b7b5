package io.presync.forecast;

import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.DoubleRange;
import net.jqwik.api.constraints.IntRange;
import net.jqwik.api.constraints.Size;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.AbstractExecutorService;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.BooleanSupplier;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

class RollingForecasterTest
{
    private static final int PERIOD = 4;

    /** A seasonal series of period 4 with a little deterministic noise. */
    static double[] series(final int n)
    {
        final double[] y = new double[n];
        for (int t = 0; t < n; t++)
        {
            y[t] = 100 + 20 * ((t % PERIOD) - 1.5) + ((t * 7919) % 13) - 6;
        }
        return y;
    }

    static FittedModel realFit(final double[] window, final int length)
    {
        return EtsFitter.fit(window, 0, length, new EtsSpec(Trend.NONE, true, PERIOD), Transform.NONE);
    }

    /** Waits for a condition that another thread makes true; the deadline only guards against a hang. */
    static void awaitTrue(final BooleanSupplier condition, final String what) throws InterruptedException
    {
        final long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while (!condition.getAsBoolean())
        {
            if (System.nanoTime() > deadline)
            {
                fail("never happened: " + what);
            }
            Thread.sleep(1);
        }
    }

    /** Runs tasks on the calling thread, so refits happen inside observe() in a known order. */
    static final class DirectExecutor extends AbstractExecutorService
    {
        private boolean shutdown;

        @Override
        public void execute(final Runnable command)
        {
            command.run();
        }

        @Override
        public void shutdown()
        {
            shutdown = true;
        }

        @Override
        public List<Runnable> shutdownNow()
        {
            shutdown = true;
            return List.of();
        }

        @Override
        public boolean isShutdown()
        {
            return shutdown;
        }

        @Override
        public boolean isTerminated()
        {
            return shutdown;
        }

        @Override
        public boolean awaitTermination(final long timeout, final TimeUnit unit)
        {
            return true;
        }
    }

    @Test
    void aBlockedRefitBlocksNeitherObserveNorForecast() throws Exception
    {
        final double[] y = series(200);
        final CountDownLatch secondFitEntered = new CountDownLatch(1);
        final CountDownLatch releaseSecondFit = new CountDownLatch(1);
        final AtomicInteger fits = new AtomicInteger();
        final List<double[]> windows = new ArrayList<>();
        final RollingForecaster.Refit refit = (window, length) ->
        {
            final int call = fits.incrementAndGet();
            synchronized (windows)
            {
                windows.add(Arrays.copyOf(window, length));
            }
            if (call == 2)
            {
                secondFitEntered.countDown();
                try
                {
                    releaseSecondFit.await();
                }
                catch (final InterruptedException ex)
                {
                    throw new IllegalStateException(ex);
                }
            }
            return realFit(window, length);
        };
        try (RollingForecaster forecaster = new RollingForecaster(refit, 24, 8, 16, Transform.NONE, null))
        {
            for (int t = 0; t < 16; t++)
            {
                forecaster.observe(y[t]);
            }
            awaitTrue(() -> forecaster.refitsCompleted() == 1, "first fit");
            final FittedModel first = forecaster.model();
            assertNotNull(first);
            assertEquals(16, forecaster.fittedThrough());
            assertEquals(16, first.observations());

            for (int t = 16; t < 24; t++)
            {
                forecaster.observe(y[t]);
            }
            assertTrue(secondFitEntered.await(60, TimeUnit.SECONDS), "second fit started");

            // The second fit is blocked: observing and forecasting go on, from the first model's
            // parameters with the state updated by every observation.
            for (int t = 24; t < 200; t++)
            {
                forecaster.observe(y[t]);
                final GrowthForecast f = forecaster.forecast(4, 0.9);
                assertNotNull(f);
                assertSame(first, forecaster.model());
                assertEquals(t + 1, first.observations());
            }
            assertEquals(200, forecaster.observed());
            assertEquals(2, fits.get(), "no refit starts while one runs");
            assertTrue(forecaster.refitRunning());
            assertEquals(16, forecaster.fittedThrough());

            releaseSecondFit.countDown();
            awaitTrue(() -> forecaster.refitsCompleted() == 2 && !forecaster.refitRunning(), "second fit");
            // Adopted on the next call: fitted through 24, then the last W = 24 observations replayed.
            assertEquals(24, forecaster.fittedThrough());
            assertEquals(24 + 24, forecaster.model().observations());
            // Due since long: the next observation starts a refit on the newest window.
            forecaster.observe(y[0]);
            awaitTrue(() -> forecaster.refitsCompleted() == 3 && !forecaster.refitRunning(), "third fit");
            assertEquals(201, forecaster.fittedThrough());
            assertEquals(24, forecaster.model().observations(), "fitted on the 24 of the window, nothing to replay");
            final double[] expectedThird = new double[24];
            System.arraycopy(y, 177, expectedThird, 0, 23);
            expectedThird[23] = y[0];
            synchronized (windows)
            {
                assertArrayEquals(Arrays.copyOf(y, 16), windows.get(0));
                assertArrayEquals(Arrays.copyOf(y, 24), windows.get(1));
                assertArrayEquals(expectedThird, windows.get(2));
            }
        }
    }

    @Test
    void closeStopsABlockedRefitAndIsIdempotent() throws Exception
    {
        final CountDownLatch entered = new CountDownLatch(1);
        final CountDownLatch interrupted = new CountDownLatch(1);
        final CountDownLatch never = new CountDownLatch(1);
        final RollingForecaster forecaster = new RollingForecaster((window, length) ->
        {
            entered.countDown();
            try
            {
                never.await();
            }
            catch (final InterruptedException ex)
            {
                interrupted.countDown();
            }
            return null;
        }, 8, 2, 4, Transform.NONE, null);
        for (int t = 0; t < 4; t++)
        {
            forecaster.observe(t);
        }
        assertTrue(entered.await(60, TimeUnit.SECONDS));
        forecaster.close();
        assertTrue(interrupted.await(60, TimeUnit.SECONDS), "the running fit was interrupted");
        forecaster.close();
        awaitTrue(() -> !forecaster.refitRunning(), "refit flag cleared");
        for (int t = 0; t < 10; t++)
        {
            forecaster.observe(t); // no refit after close, and no exception
        }
        assertFalse(forecaster.refitRunning());
        assertNull(forecaster.forecast(2, 0.9));
    }

    @Test
    void aFailedFitKeepsThePreviousModel() throws Exception
    {
        final AtomicInteger calls = new AtomicInteger();
        try (RollingForecaster forecaster = new RollingForecaster((window, length) ->
        {
            if (calls.incrementAndGet() == 2)
            {
                throw new IllegalStateException("no convergence");
            }
            return realFit(window, length);
        }, 16, 4, 8, Transform.NONE, new DirectExecutor()))
        {
            final double[] y = series(40);
            for (int t = 0; t < 8; t++)
            {
                forecaster.observe(y[t]);
            }
            final FittedModel first = forecaster.model();
            assertNotNull(first);
            for (int t = 8; t < 12; t++)
            {
                forecaster.observe(y[t]);
            }
            assertSame(first, forecaster.model());
            // Between refits the forecast is the first fit's, state-updated with y[8..12).
            final FittedModel reference = realFit(Arrays.copyOf(y, 8), 8);
            for (int t = 8; t < 12; t++)
            {
                reference.observe(y[t]);
            }
            assertEquals(reference.forecastSum(4, 0.9), forecaster.forecast(4, 0.9));
            assertEquals(1, forecaster.refitsFailed());
            assertEquals("no convergence", forecaster.lastFailure().getMessage());
            for (int t = 12; t < 16; t++)
            {
                forecaster.observe(y[t]);
            }
            assertEquals(2, forecaster.refitsCompleted());
            assertEquals(16, forecaster.fittedThrough());
            assertEquals(16, forecaster.model().observations());
        }
    }

    @Property(tries = 200)
    void everyFitSeesExactlyTheLastWObservationsAtItsDueTime(
        @ForAll @Size(max = 120) final List<@DoubleRange(min = -1e6, max = 1e6) Double> values,
        @ForAll @IntRange(min = 2, max = 20) final int window,
        @ForAll @IntRange(min = 1, max = 10) final int every,
        @ForAll @IntRange(min = 1, max = 20) final int firstAfter)
    {
        final int first = Math.min(firstAfter, window);
        final List<double[]> seen = new ArrayList<>();
        final List<Long> seenAt = new ArrayList<>();
        final long[] observedCounter = {0};
        try (RollingForecaster forecaster = new RollingForecaster((w, length) ->
        {
            seen.add(Arrays.copyOf(w, length));
            seenAt.add(observedCounter[0]);
            return null;
        }, window, every, first, Transform.NONE, new DirectExecutor()))
        {
            for (final double v : values)
            {
                observedCounter[0]++;
                forecaster.observe(v);
            }
        }
        // Reference: fits at counts first, first + every, ... each over the last min(count, W) values.
        int k = 0;
        for (long count = first; count <= values.size(); count += every, k++)
        {
            assertEquals(count, seenAt.get(k));
            final int length = (int)Math.min(count, window);
            final double[] expected = new double[length];
            for (int i = 0; i < length; i++)
            {
                expected[i] = values.get((int)(count - length + i));
            }
            assertArrayEquals(expected, seen.get(k));
        }
        assertEquals(k, seen.size());
    }

    @Test
    void publicConstructorFitsInTheBackgroundAndForecasts() throws Exception
    {
        final double[] y = series(64);
        try (RollingForecaster forecaster = new RollingForecaster(PERIOD, 48, 16, Transform.NONE))
        {
            assertNull(forecaster.forecast(4, 0.9));
            for (final double v : y)
            {
                forecaster.observe(v);
            }
            awaitTrue(() -> forecaster.refitsCompleted() >= 1 && !forecaster.refitRunning(), "a fit");
            final GrowthForecast f = forecaster.forecast(4, 0.9);
            assertNotNull(f);
            assertEquals(4, f.horizonSteps());
            assertTrue(f.lower() <= f.mean() && f.mean() <= f.upper(), f.toString());
        }
    }

    @Test
    void defaultWindowIsSevenDaysOfBuckets()
    {
        assertEquals(336, RollingForecaster.windowFor(1800));
        assertEquals(2016, RollingForecaster.windowFor(300));
        assertEquals(11, RollingForecaster.firstFitAfter(4, 48));
        assertEquals(4, RollingForecaster.firstFitAfter(1, 48));
        assertEquals(30, RollingForecaster.firstFitAfter(48, 30));
    }
}
