package io.presync.replicate;

/**
 * The copy rate a plan assumes and where it came from. A copy reads the master and writes the pool,
 * so it runs no faster than the slower of the two: {@code bytesPerSecond} is the minimum of the
 * probes that ran.
 *
 * @param bytesPerSecond      the rate the plan used
 * @param source              "probe: min(master read, pool write)", "probe: master read only (...)", "given" or
 *                            "not probed: ..." (then NaN)
 * @param readBytesPerSecond  the master's read rate measured by the probe, NaN when not probed
 * @param writeBytesPerSecond the pool's write rate measured by the probe, NaN when not probed
 * @param bulkLimited         true when {@code bytesPerSecond} is the bulk limit ({@link #cappedAt}): it holds back the
 *                            bulk pass only, new writes stream at the devices' speed, so they do not lengthen the transfer
 */
public record CopyRate(double bytesPerSecond, String source, double readBytesPerSecond, double writeBytesPerSecond,
    boolean bulkLimited)
{
    /** A rate that is not a bulk limit. */
    public CopyRate(final double bytesPerSecond, final String source, final double readBytesPerSecond, final double writeBytesPerSecond)
    {
        this(bytesPerSecond, source, readBytesPerSecond, writeBytesPerSecond, false);
    }

    /** A rate given by the caller (tests, benchmarks): nothing was probed. */
    public static CopyRate given(final double bytesPerSecond)
    {
        return new CopyRate(bytesPerSecond, "given", Double.NaN, Double.NaN);
    }

    /** This rate, or {@code limitBytesPerSecond} when that is positive and lower (a bulk pass limited to it copies no faster). */
    public CopyRate cappedAt(final double limitBytesPerSecond)
    {
        if (!(limitBytesPerSecond > 0) || limitBytesPerSecond >= bytesPerSecond)
        {
            return this;
        }
        return new CopyRate(limitBytesPerSecond, source + ", capped by the bulk limit", readBytesPerSecond, writeBytesPerSecond, true);
    }

    /**
     * Not probed because it could not change the plan (the growth bound does not depend on the horizon): rate
     * and horizon are unknown (NaN) until the copy measures its own rate.
     */
    public static CopyRate notNeeded()
    {
        return new CopyRate(Double.NaN, "not probed: the growth bound does not depend on the copy rate (no growth history)",
            Double.NaN, Double.NaN);
    }

    /** The slower of the two probes; a write probe that could not run leaves the read rate alone, and says why. */
    public static CopyRate probed(final double readBytesPerSecond, final double writeBytesPerSecond, final String noWriteReason)
    {
        if (Double.isNaN(writeBytesPerSecond))
        {
            return new CopyRate(readBytesPerSecond, "probe: master read only (" + noWriteReason + ")", readBytesPerSecond, Double.NaN);
        }
        return new CopyRate(Math.min(readBytesPerSecond, writeBytesPerSecond), "probe: min(master read, pool write)",
            readBytesPerSecond, writeBytesPerSecond);
    }
}
