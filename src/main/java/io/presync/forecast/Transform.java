package io.presync.forecast;

/**
 * Scale on which a model is fitted. Write volume is bursty and often zero, so its logarithm is
 * closer to Gaussian with constant variance than the raw bytes are.
 * <p>
 * Quantiles transform monotonically, so the interval bounds are the back-transformed bounds of the
 * fitted scale. A mean does not: under {@link #LOG1P} the reported means are the expectations on
 * the original scale (bias-adjusted, see {@link FittedModel#pointForecasts(int)}), not the
 * back-transformed median.
 */
public enum Transform
{
    /** Fit the values as they are. */
    NONE,
    /** Fit {@code log(1 + y)}; values must be {@code >= 0}. Back-transform: {@code expm1}, clamped at 0. */
    LOG1P;

    double forward(final double y)
    {
        return this == LOG1P ? Math.log1p(y) : y;
    }
}
