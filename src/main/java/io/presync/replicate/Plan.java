package io.presync.replicate;

/**
 * The partition-size decision and every input it was made from.
 *
 * @param baseBytes            bytes of data in the master's snapshot at T0
 * @param logicalBytes         the master's size
 * @param rateBytesPerSecond   copy rate measured on these devices
 * @param horizonSeconds       expected transfer time of base plus buffer at that rate
 * @param historyBuckets       buckets of newly-allocated-bytes history the forecast saw
 * @param intervalSeconds      length of one history bucket
 * @param model                the fitted model's name, or the conservative rule when history was too short
 * @param predictedGrowthBytes forecast mean of new bytes over the horizon
 * @param growthLowerBytes     lower bound at {@code confidence}
 * @param growthUpperBytes     upper bound at {@code confidence}: the buffer
 * @param confidence           confidence of the bounds
 * @param partitionBytes       the size to allocate: min(base + buffer, max, logical), rounded up to the unit
 * @param unitBytes            the pool's allocation unit
 * @param iterations           horizon ↔ buffer iterations until stable
 * @param note                 null, or why the plan used the conservative rule or was capped
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
    String note)
{
    /** True when the forecast came from a fitted model rather than the conservative rule. */
    public boolean fitted()
    {
        return note == null || !note.startsWith("little history");
    }
}
