package io.presync.forecast;

import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A forecaster over a sliding window of the last W observations, refitted in the background.
 *
 * <pre>
 *  observe(y) ──► ring of the last W values ──(every K observations, no refit running)──► copy of the window
 *      │                                                                                     │
 *      ▼                                            single daemon thread: EtsFitter.fitAuto ◄─┘
 *  working model ◄── adopt + replay the observations       │
 *  .observe(y), O(1)     that arrived during the fit ◄── volatile hand-over of the fitted model
 *      │
 *  forecast(h, c)
 * </pre>
 *
 * <ul>
 *   <li>{@link #observe} is O(1) and allocation-free between refits: it stores the value in the ring
 *       and applies the model's state update ({@link FittedModel#observe}) with the parameters of the
 *       last fit, so forecasts always start after the newest observation. Once every K observations
 *       it copies the window (O(W)) and hands it to the refit thread; if a refit is still running
 *       then, the next one starts with the first observation after it ends.</li>
 *   <li>A finished fit is handed over through a volatile reference and adopted by the observing
 *       thread on its next {@code observe} or {@code forecast}: the observations that arrived during
 *       the fit are replayed into it from the ring (at most the last W of them), then it replaces the
 *       working model. Neither call ever waits for a refit.</li>
 *   <li>{@link #close} stops the refit thread (interrupting a running fit) and is idempotent.</li>
 * </ul>
 * Threads: {@code observe}, {@code forecast} and {@code model} belong to one thread (the duty cycle
 * that consumes the time series), because the working model is mutable; only the fit runs elsewhere.
 * The counters may be read from any thread.
 */
public final class RollingForecaster implements AutoCloseable
{
    /** Seven days of buckets. */
    public static final long DEFAULT_WINDOW_SECONDS = 7L * 24 * 3600;

    /** Fits a model on {@code window[0, length)}, oldest first. Package-private for tests. */
    @FunctionalInterface
    interface Refit
    {
        FittedModel fit(double[] window, int length);
    }

    private final Refit refit;
    private final double[] ring;
    private final double[] snapshot;       // written by the observer only while no refit runs
    private final int refitEvery;
    private final int firstFitAfter;
    private final ExecutorService executor;
    private final boolean ownsExecutor;
    private final Runnable refitTask = this::runRefit;

    private final Transform transform;

    private final AtomicBoolean refitRunning = new AtomicBoolean();
    private final AtomicLong refitsCompleted = new AtomicLong();
    private final AtomicLong refitsFailed = new AtomicLong();
    private volatile boolean closed;

    // Hand-over from the refit thread: pendingEnd is written before pending, and no second refit can
    // start before the observing thread has run adoptPending() in observe(), so the pair is consistent.
    private volatile FittedModel pending;
    private volatile long pendingEnd;
    private volatile Throwable lastFailure;

    // Observing thread only.
    private FittedModel working;
    private long workingFittedThrough;
    private long observed;
    private long observedAtLastRefit;
    private int snapshotLength;
    private long snapshotEnd;

    /**
     * @param period        seasonal period in buckets (1 or less for none), passed to {@link EtsFitter#fitAuto}.
     * @param windowLength  W: observations kept and fitted on.
     * @param refitEvery    K: observations between refits.
     * @param transform     transform the fits use.
     */
    public RollingForecaster(final int period, final int windowLength, final int refitEvery, final Transform transform)
    {
        this((window, length) -> EtsFitter.fitAuto(window, 0, length, period, transform),
            windowLength, refitEvery, firstFitAfter(period, windowLength), transform, null);
    }

    /**
     * @param refit          the fit to run in the background.
     * @param firstFitAfter  observations before the first fit.
     * @param transform      the fits' transform, to refuse observations it cannot take before they enter the window.
     * @param executor       where refits run; null for a single daemon thread owned (and shut down) by this object.
     */
    RollingForecaster(
        final Refit refit,
        final int windowLength,
        final int refitEvery,
        final int firstFitAfter,
        final Transform transform,
        final ExecutorService executor)
    {
        if (windowLength < 2)
        {
            throw new IllegalArgumentException("windowLength must be at least 2, was " + windowLength);
        }
        if (refitEvery < 1)
        {
            throw new IllegalArgumentException("refitEvery must be at least 1, was " + refitEvery);
        }
        if (firstFitAfter < 1 || firstFitAfter > windowLength)
        {
            throw new IllegalArgumentException("firstFitAfter must be in [1, " + windowLength + "], was " + firstFitAfter);
        }
        this.refit = refit;
        this.transform = transform;
        this.ring = new double[windowLength];
        this.snapshot = new double[windowLength];
        this.refitEvery = refitEvery;
        this.firstFitAfter = firstFitAfter;
        this.observedAtLastRefit = -refitEvery; // the first fit is due as soon as firstFitAfter observations are in
        this.ownsExecutor = executor == null;
        this.executor = executor != null ? executor : Executors.newSingleThreadExecutor(runnable ->
        {
            final Thread thread = new Thread(runnable, "presync-forecast-refit");
            thread.setDaemon(true);
            return thread;
        });
    }

    /** W for buckets of the given length: seven days of them. */
    public static int windowFor(final long bucketSeconds)
    {
        if (bucketSeconds <= 0 || bucketSeconds > DEFAULT_WINDOW_SECONDS / 2)
        {
            throw new IllegalArgumentException("bucketSeconds must be in [1, " + DEFAULT_WINDOW_SECONDS / 2 + "], was " + bucketSeconds);
        }
        return (int)(DEFAULT_WINDOW_SECONDS / bucketSeconds);
    }

    /**
     * Observations before the first fit: enough for a seasonal model (2 periods + {@value EtsFitter#SEASONAL_EXTRA},
     * or the whole window if shorter), else {@value EtsFitter#MIN_OBSERVATIONS}.
     */
    static int firstFitAfter(final int period, final int windowLength)
    {
        final int wanted = period > 1 ? 2 * period + EtsFitter.SEASONAL_EXTRA : EtsFitter.MIN_OBSERVATIONS;
        return Math.min(windowLength, wanted);
    }

    /**
     * Adds the next observation: O(1) state update of the current model, and a refit started in the
     * background when one is due. Never waits.
     *
     * @throws IllegalArgumentException when y is not finite, or negative under {@link Transform#LOG1P}.
     */
    public void observe(final double y)
    {
        if (!Double.isFinite(y) || (transform == Transform.LOG1P && y < 0.0))
        {
            throw new IllegalArgumentException("observation must be finite" +
                (transform == Transform.LOG1P ? " and >= 0 under log1p" : "") + ", got " + y);
        }
        adoptPending();
        final double[] ring = this.ring;
        ring[(int)(observed % ring.length)] = y;
        observed++;
        final FittedModel model = working;
        if (model != null)
        {
            model.observe(y);
        }
        if (observed >= firstFitAfter && observed - observedAtLastRefit >= refitEvery && !closed)
        {
            startRefit();
        }
    }

    /** Takes over a finished fit: replays what arrived since its window ended, then makes it the working model. */
    private void adoptPending()
    {
        final FittedModel fitted = pending;
        if (fitted == null)
        {
            return;
        }
        pending = null;
        final long end = pendingEnd;
        final double[] ring = this.ring;
        for (long i = Math.max(end, observed - ring.length); i < observed; i++)
        {
            fitted.observe(ring[(int)(i % ring.length)]);
        }
        working = fitted;
        workingFittedThrough = end;
    }

    private void startRefit()
    {
        if (!refitRunning.compareAndSet(false, true))
        {
            return; // retried on the next observation
        }
        final double[] ring = this.ring;
        final int length = (int)Math.min(observed, ring.length);
        final long first = observed - length;
        for (int i = 0; i < length; i++)
        {
            snapshot[i] = ring[(int)((first + i) % ring.length)];
        }
        snapshotLength = length;
        snapshotEnd = observed;
        observedAtLastRefit = observed;
        try
        {
            executor.execute(refitTask);
        }
        catch (final RejectedExecutionException ex)
        {
            refitRunning.set(false); // closed concurrently
        }
    }

    private void runRefit()
    {
        try
        {
            final FittedModel fitted = refit.fit(snapshot, snapshotLength);
            if (fitted != null)
            {
                pendingEnd = snapshotEnd;
                pending = fitted;
                refitsCompleted.incrementAndGet();
            }
        }
        catch (final RuntimeException | Error ex)
        {
            // A failed fit keeps the previous model; the next one is tried K observations later.
            lastFailure = ex;
            refitsFailed.incrementAndGet();
        }
        finally
        {
            refitRunning.set(false);
        }
    }

    /**
     * The forecast of the sum of the next {@code horizonSteps} buckets after the newest observation, with a
     * two-sided interval at {@code confidence} (see {@link FittedModel#forecastSum}), or null before the
     * first fit has finished. Never waits for a refit.
     */
    public GrowthForecast forecast(final int horizonSteps, final double confidence)
    {
        adoptPending();
        final FittedModel m = working;
        return m == null ? null : m.forecastSum(horizonSteps, confidence);
    }

    /**
     * The working model (fitted parameters, state updated through the newest observation), or null before
     * the first fit. Owned by the observing thread: hand {@link FittedModel#copy()} to others.
     */
    public FittedModel model()
    {
        adoptPending();
        return working;
    }

    /** How many observations the working model's parameters were fitted through (0 before the first fit). */
    public long fittedThrough()
    {
        adoptPending();
        return working == null ? 0 : workingFittedThrough;
    }

    /** Observations so far (observing thread). */
    public long observed()
    {
        return observed;
    }

    public int windowLength()
    {
        return ring.length;
    }

    public long refitsCompleted()
    {
        return refitsCompleted.get();
    }

    public long refitsFailed()
    {
        return refitsFailed.get();
    }

    /** The exception of the last failed refit, or null. */
    public Throwable lastFailure()
    {
        return lastFailure;
    }

    public boolean refitRunning()
    {
        return refitRunning.get();
    }

    /** Stops refitting: interrupts a running fit and waits briefly for the refit thread to end. Idempotent. */
    @Override
    public void close()
    {
        if (closed)
        {
            return;
        }
        closed = true;
        if (ownsExecutor)
        {
            executor.shutdownNow();
            try
            {
                executor.awaitTermination(10, TimeUnit.SECONDS);
            }
            catch (final InterruptedException ex)
            {
                Thread.currentThread().interrupt();
            }
        }
    }
}
