package io.presync.forecast;

/**
 * One member of the additive-error exponential smoothing family: ETS(A, trend, seasonal).
 *
 * @param trend    the trend component.
 * @param seasonal whether an additive seasonal component with {@code period} states is present.
 * @param period   steps per seasonal cycle ({@code >= 2} when seasonal; normalised to 1 otherwise).
 */
public record EtsSpec(Trend trend, boolean seasonal, int period)
{
    public EtsSpec
    {
        if (trend == null)
        {
            throw new IllegalArgumentException("trend must not be null");
        }
        if (seasonal && period < 2)
        {
            throw new IllegalArgumentException("a seasonal model needs period >= 2, got " + period);
        }
        if (!seasonal)
        {
            period = 1;
        }
    }

    /** A non-seasonal spec. */
    public static EtsSpec of(final Trend trend)
    {
        return new EtsSpec(trend, false, 1);
    }

    /** A seasonal spec with the given period. */
    public static EtsSpec seasonal(final Trend trend, final int period)
    {
        return new EtsSpec(trend, true, period);
    }

    /** The conventional name, for example {@code ETS(A,Ad,A)}. */
    public String name()
    {
        return "ETS(A," + trend.letter() + "," + (seasonal ? "A" : "N") + ")";
    }

    /** Number of smoothing and damping parameters estimated for this spec (α, β, γ, φ as present). */
    int smoothingParameterCount()
    {
        return 1 + (trend != Trend.NONE ? 1 : 0) + (seasonal ? 1 : 0) + (trend == Trend.DAMPED ? 1 : 0);
    }

    /** Number of free initial states: level, trend, and period − 1 seasonal states (they sum to zero). */
    int initialStateCount()
    {
        return 1 + (trend != Trend.NONE ? 1 : 0) + (seasonal ? period - 1 : 0);
    }
}
