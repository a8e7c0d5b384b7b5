package io.presync.forecast;

/**
 * Forecast of the total of the next {@code horizonSteps} buckets, on the original scale (bytes).
 *
 * @param horizonSteps number of future buckets summed.
 * @param mean         expected sum (never negative).
 * @param lower        lower bound of the two-sided interval at {@code confidence} (never negative): the
 *                     (1 − confidence)/2 quantile of the sum.
 * @param upper        upper bound of the two-sided interval at {@code confidence}: the (1 + confidence)/2
 *                     quantile, so confidence 0.90 gives the one-sided 95% upper bound.
 * @param confidence   the two-sided coverage asked for, in (0, 1).
 * @param sigma        standard deviation of the sum on the original scale (for {@link CombinedForecast} with an
 *                     empirical interval: the root mean square of its in-sample h-sum errors).
 * @param model        the model that produced it, for example {@code ETS(A,Ad,A)} or {@code NAIVE(mean)};
 *                     a transform is appended as {@code +log1p}, a combination with seasonal naive as
 *                     {@code +SNAIVE} (for example {@code ETS(A,N,N)+SNAIVE}).
 */
public record GrowthForecast(int horizonSteps, double mean, double lower, double upper, double confidence,
                             double sigma, String model)
{
}
