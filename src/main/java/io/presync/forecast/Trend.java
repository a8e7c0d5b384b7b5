package io.presync.forecast;

/**
 * Trend component of an additive exponential smoothing model (Hyndman et al. 2008, taxonomy letter two).
 */
public enum Trend
{
    /** No trend: the level alone carries the forecast ("N"). */
    NONE("N"),
    /** Additive linear trend, extrapolated without bound ("A"). */
    ADDITIVE("A"),
    /** Additive trend damped by φ per step, so long forecasts flatten out ("Ad"). */
    DAMPED("Ad");

    private final String letter;

    Trend(final String letter)
    {
        this.letter = letter;
    }

    /** The letter used in model names such as {@code ETS(A,Ad,A)}. */
    public String letter()
    {
        return letter;
    }
}
