package io.presync.replicate;

/**
 * The partition-size decision and every input it was made from.
 *
 * @param baseBytes            bytes of data in the master's snapshot at T0
 * @param logicalBytes         the master's size
 * @param rateBytesPerSecond   copy rate measured on these devices
 * @param horizonSeconds       expected transfer time: (base + expected growth) / rate, or base / rate when the rate is
 *                             the bulk limit (new data streams beside it)
 * @param historyBuckets       buckets of newly-allocated-bytes history the forecast saw
 * @param intervalSeconds      length of one history bucket
 * @param model                the fitted model's name (for example {@code ETS(A,N,N) of 23-bucket sums, t(7)}), or
 *                             the conservative rule when history was too short
 * @param predictedGrowthBytes forecast mean of new bytes over the horizon
 * @param growthLowerBytes     the (1 − confidence) quantile of the growth
 * @param growthUpperBytes     the {@code confidence} quantile of the growth (a one-sided bound): the buffer
 * @param confidence           confidence of the bounds
 * @param partitionBytes       the size to allocate: min(base + buffer, max, logical), rounded up to the unit
 * @param unitBytes            the pool's allocation unit
 * @param iterations           horizon ↔ buffer iterations until stable
 * @param note                 null, or why the plan used the conservative rule or was capped
 * @param copyRate             where {@code rateBytesPerSecond} came from, with the probe figures
 * @param fileBuckets          of {@code historyBuckets}, those from {@code --history FILE}
 * @param logBuckets           of {@code historyBuckets}, those from the job's own write log
 * @param historySource        what the history was read from
 */
public record Plan(
    long baseBytes,
    long logicalBytes,
    double rateBytesPerSecond,
    double horizonSeconds,
    int historyBuckets,
    double intervalSeconds,
    String model,
    long predictedGrowthBytes,
    long growthLowerBytes,
    long growthUpperBytes,
    double confidence,
    long partitionBytes,
    long unitBytes,
    int iterations,
    String note,
    CopyRate copyRate,
    int fileBuckets,
    int logBuckets,
    String historySource)
{
    /** A plan whose rate was given and whose history all came from a file. */
    public Plan(
        final long baseBytes, final long logicalBytes, final double rateBytesPerSecond, final double horizonSeconds,
        final int historyBuckets, final double intervalSeconds, final String model, final long predictedGrowthBytes,
        final long growthLowerBytes, final long growthUpperBytes, final double confidence, final long partitionBytes,
        final long unitBytes, final int iterations, final String note)
    {
        this(baseBytes, logicalBytes, rateBytesPerSecond, horizonSeconds, historyBuckets, intervalSeconds, model,
            predictedGrowthBytes, growthLowerBytes, growthUpperBytes, confidence, partitionBytes, unitBytes, iterations, note,
            CopyRate.given(rateBytesPerSecond), historyBuckets, 0, "given");
    }

    /** This plan with the rate's origin and the history's split between file and log. */
    public Plan withInputs(final CopyRate rate, final History history)
    {
        return new Plan(baseBytes, logicalBytes, rateBytesPerSecond, horizonSeconds, historyBuckets, intervalSeconds, model,
            predictedGrowthBytes, growthLowerBytes, growthUpperBytes, confidence, partitionBytes, unitBytes, iterations, note,
            rate, history.fileBuckets(), history.logBuckets(), history.source());
    }

    /** True when the forecast came from a fitted model rather than the conservative rule. */
    public boolean fitted()
    {
        return note == null || !note.startsWith("little history");
    }
}
