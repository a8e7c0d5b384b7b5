package io.presync.replicate;

import io.presync.forecast.HorizonForecast;

/**
 * Sizes the partition: base (data at T0) plus a buffer for the data the master newly allocates while
 * the copy runs.
 *
 * <ul>
 *   <li>Horizon = base / rate when the rate is the bulk limit ({@link CopyRate#bulkLimited()}): the limit holds back
 *       the bulk pass only and new writes stream at the devices' speed, so the transfer lasts as long as the
 *       base's copy. Otherwise</li>
 *   <li>Horizon = (base + expected growth) / measured copy rate: the expected transfer time, since the copy
 *       moves the new data the master is expected to write, not the whole buffer reserved for the bound;
 *       the growth depends on the horizon, so the two are iterated (at most {@value #MAX_ITERATIONS} times,
 *       until the horizon changes by less than 1%). Iterating on the upper bound instead compounded it (a
 *       wide bound lengthened the horizon, which widened the bound) and diverged to a thick partition on
 *       a bursty history; when even the expected growth keeps the horizon from settling (the master is
 *       expected to write new data about as fast as the copy moves it) the plan says so.</li>
 *   <li>Buffer = the ONE-sided upper bound at {@code confidence} (the {@code confidence} quantile: at 0.95 the
 *       partition suffices in 95% of transfers; the buffer only guards the upper side) of the new bytes over
 *       that horizon, from {@link HorizonForecast}: the newly-allocated-bytes history summed into buckets of
 *       about half the horizon, an ETS model fitted to those sums (period detected among 24, 48 and 168
 *       fine buckets when the aggregation divides them), and a Student-t quantile for a spread estimated
 *       from few sums. Forecasting two steps of the horizon's own scale instead of horizon/interval steps
 *       of fine buckets keeps a bursty fine-grained history from blowing the bound up (the fine model's
 *       variance of an h-step sum grows like h³). Never below the mean.</li>
 *   <li>Conservative rule, used when the history has fewer than {@value #MIN_HISTORY_BUCKETS} buckets
 *       (or fewer than two periods when seasonal): buffer = max(10% of base, 2 allocation units) ×
 *       ln(1/(1−c)) / ln(20), which is 1× at c = 0.95 and grows with c. The plan says so.</li>
 *   <li>Partition = min(base + buffer, max partition, logical size), rounded up to the pool's unit
 *       (and never below one unit).</li>
 * </ul>
 */
public final class Planner
{
    public static final int MAX_ITERATIONS = 20;
    public static final int MIN_HISTORY_BUCKETS = 8;
    private static final int[] PERIOD_CANDIDATES = {24, 48, 168};

    private Planner()
    {
    }

    /**
     * @param history         newly-allocated bytes per bucket, oldest first (may be empty)
     * @param intervalSeconds bucket length
     * @param maxPartitionBytes cap, or ≤ 0 for none
     */
    public static Plan plan(
        final long baseBytes,
        final long logicalBytes,
        final double rateBytesPerSecond,
        final double[] history,
        final double intervalSeconds,
        final double confidence,
        final long maxPartitionBytes,
        final long unitBytes)
    {
        return plan(Growth.of(history, intervalSeconds, confidence, baseBytes, unitBytes), baseBytes, logicalBytes,
            rateBytesPerSecond, maxPartitionBytes, unitBytes);
    }

    /** {@link #plan} with the growth model already fitted (the job keeps it to refine the horizon as the copy runs). */
    static Plan plan(
        final Growth growth,
        final long baseBytes,
        final long logicalBytes,
        final double rateBytesPerSecond,
        final long maxPartitionBytes,
        final long unitBytes)
    {
        return plan(growth, baseBytes, logicalBytes, rateBytesPerSecond, false, maxPartitionBytes, unitBytes);
    }

    /** {@link #plan} at {@code rate}; a bulk limit ({@link CopyRate#bulkLimited()}) makes the horizon the base's copy time. */
    static Plan plan(
        final Growth growth,
        final long baseBytes,
        final long logicalBytes,
        final CopyRate rate,
        final long maxPartitionBytes,
        final long unitBytes)
    {
        return plan(growth, baseBytes, logicalBytes, rate.bytesPerSecond(), rate.bulkLimited(), maxPartitionBytes, unitBytes);
    }

    private static Plan plan(
        final Growth growth,
        final long baseBytes,
        final long logicalBytes,
        final double rateBytesPerSecond,
        final boolean growthStreamsBesideTheRate,
        final long maxPartitionBytes,
        final long unitBytes)
    {
        final double confidence = growth.confidence;
        final double intervalSeconds = growth.intervalSeconds;
        final int n = growth.historyBuckets;
        if (Double.isNaN(rateBytesPerSecond) && growth.dependsOnHorizon())
        {
            throw new IllegalArgumentException("a growth bound that depends on the horizon needs a copy rate");
        }
        // NaN (not probed) stays NaN: the horizon is unknown, and the bound does not depend on it.
        final double rate = Double.isNaN(rateBytesPerSecond) ? Double.NaN : Math.max(1.0, rateBytesPerSecond);
        String note = growth.fitted() ? null : growth.conservativeNote();
        if (growth.floorBytesPerSecond > 0)
        {
            note = (note == null ? "" : note + "; ") + String.format(java.util.Locale.ROOT,
                "buffer at least the write log's observed %.1f MiB/s of first writes x horizon", growth.floorBytesPerSecond / (1 << 20));
        }
        double horizon = baseBytes / rate;
        int iterations = 0;
        // Not probed: the bound does not depend on the horizon, which stays unknown (nothing to iterate).
        boolean settled = Double.isNaN(rate);
        // Beyond copying the whole master ten times over the partition is capped at its size anyway.
        final double maxHorizon = 10.0 * Math.max(logicalBytes, baseBytes) / rate;
        for (int i = 0; i < MAX_ITERATIONS && !settled; i++)
        {
            iterations++;
            growth.evaluate(horizon);
            final double next = Math.min(maxHorizon, (baseBytes + (growthStreamsBesideTheRate ? 0 : growth.mean)) / rate);
            settled = next < maxHorizon && Math.abs(next - horizon) <= 0.01 * Math.max(horizon, 1e-9);
            horizon = next;
            if (next >= maxHorizon)
            {
                break;
            }
        }
        growth.evaluate(horizon);
        final String modelName = growth.name();
        final double buffer = growth.upper;
        if (!settled)
        {
            note = (note == null ? "" : note + "; ") + String.format(java.util.Locale.ROOT,
                "the horizon did not settle: expected new data %.1f MiB/s against a copy rate of %.1f MiB/s",
                growth.mean / Math.max(horizon, 1e-9) / (1 << 20), rate / (1 << 20));
        }
        final double mean = growth.mean;
        final double lower = growth.lower;
        long partition = (long)Math.ceil(baseBytes + buffer);
        if (maxPartitionBytes > 0 && partition > maxPartitionBytes)
        {
            partition = maxPartitionBytes;
            note = (note == null ? "" : note + "; ") + "capped by --max-partition";
        }
        if (partition > logicalBytes)
        {
            partition = logicalBytes;
            note = (note == null ? "" : note + "; ") + "capped by the master's size";
        }
        partition = Math.max(unitBytes, (partition + unitBytes - 1) / unitBytes * unitBytes);
        return new Plan(baseBytes, logicalBytes, rate, horizon, n, intervalSeconds, modelName, (long)mean, (long)lower,
            (long)Math.ceil(buffer), confidence, partition, unitBytes, iterations, note);
    }

    /**
     * The newly-allocated-bytes forecast of one history: a {@link HorizonForecast} fitted at the scale of the
     * horizon (or the conservative rule) evaluated over any horizon. Fits are kept per aggregation, so the
     * planner's iterations and the job's refinements refit only when the horizon moves the aggregation.
     * Not thread-safe; {@link #evaluate} leaves its figures in the fields.
     */
    static final class Growth
    {
        /** The history (null: too short, the conservative rule). */
        private final double[] history;
        private final java.util.Map<Integer, HorizonForecast> fits = new java.util.HashMap<>();
        final int historyBuckets;
        final double intervalSeconds;
        final double confidence;
        final double conservative;
        /** New bytes per second the job's own write log observed (0: none): the bound never goes below that rate over the horizon. */
        double floorBytesPerSecond;
        double horizonSeconds;
        double mean;
        double lower;
        double upper;
        /** The forecast of the last {@link #evaluate} (null before it, or with the conservative rule). */
        HorizonForecast forecast;

        private Growth(final double[] history, final int historyBuckets, final double intervalSeconds, final double confidence,
            final double conservative)
        {
            this.history = history;
            this.historyBuckets = historyBuckets;
            this.intervalSeconds = intervalSeconds;
            this.confidence = confidence;
            this.conservative = conservative;
        }

        /** Keeps {@code history} to fit at each horizon's scale; too short a history gets the conservative rule. */
        static Growth of(final double[] history, final double intervalSeconds, final double confidence, final long baseBytes,
            final long unitBytes)
        {
            if (!(confidence > 0 && confidence < 1))
            {
                throw new IllegalArgumentException("confidence must lie in (0, 1), not " + confidence);
            }
            final int n = history == null ? 0 : history.length;
            return new Growth(n >= MIN_HISTORY_BUCKETS ? history.clone() : null, n, intervalSeconds, confidence,
                conservativeBuffer(baseBytes, unitBytes, confidence));
        }

        /** Sets {@link #floorBytesPerSecond} (NaN or ≤ 0: none). */
        Growth withFloor(final double bytesPerSecond)
        {
            floorBytesPerSecond = bytesPerSecond > 0 ? bytesPerSecond : 0;
            return this;
        }

        /**
         * False when the bound is the same over every horizon (the conservative rule without a floor), so the
         * copy rate, which only sets the horizon, cannot change the plan's size: the job then skips the probe.
         */
        boolean dependsOnHorizon()
        {
            return history != null || floorBytesPerSecond > 0;
        }

        /** True when a model is fitted (enough history), false under the conservative rule. */
        boolean fitted()
        {
            return history != null;
        }

        String name()
        {
            if (history == null)
            {
                return "conservative rule";
            }
            return forecast == null ? "ETS at the horizon's scale" : forecast.name();
        }

        String conservativeNote()
        {
            return "little history (" + historyBuckets + " buckets, need " + MIN_HISTORY_BUCKETS +
                "): buffer = max(10% of base, 2 units) x ln(1/(1-c))/ln(20)";
        }

        /**
         * Mean and bounds of the new bytes over {@code horizon} seconds: {@link HorizonForecast} of the history
         * summed into buckets of about half the horizon; upper = the one-sided {@code confidence} quantile (never
         * below the mean), lower = the 1 − confidence quantile (never above it). The conservative rule does not
         * depend on the horizon.
         */
        void evaluate(final double horizon)
        {
            horizonSeconds = horizon;
            // No floor, no product: an unknown horizon (NaN, the rate not probed) must not make the bound NaN.
            final double floor = floorBytesPerSecond > 0 ? floorBytesPerSecond * horizon : 0;
            if (history == null)
            {
                mean = Math.max(conservative, floor);
                lower = 0;
                upper = Math.max(conservative, floor);
                return;
            }
            final double buckets = Math.max(horizon / intervalSeconds, 1e-9);
            final int b = HorizonForecast.bucketsPerStep(buckets, history.length);
            forecast = fits.get(b);
            if (forecast == null)
            {
                forecast = HorizonForecast.fit(history, 0, history.length, b, PERIOD_CANDIDATES);
                fits.put(b, forecast);
            }
            mean = forecast.mean(buckets);
            upper = Math.max(mean, forecast.quantile(buckets, confidence));
            lower = Math.min(mean, forecast.quantile(buckets, 1.0 - confidence));
            upper = Math.max(upper, floor);
        }
    }

    /** The conservative buffer of the class comment. */
    public static double conservativeBuffer(final long baseBytes, final long unitBytes, final double confidence)
    {
        return Math.max(0.10 * baseBytes, 2.0 * unitBytes) * Math.log(1.0 / (1.0 - confidence)) / Math.log(20.0);
    }
}
