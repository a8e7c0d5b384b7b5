package io.presync.forecast;

import java.util.Arrays;

/**
 * Forecast of the sum of the next h buckets that combines a fitted ETS model with seasonal naive,
 * with a prediction interval calibrated on the model's own in-sample h-step errors.
 *
 * <h2>Point forecast</h2>
 * <pre>
 *   P = w · E + (1 − w) · S         E = the ETS model's expected h-sum ({@link FittedModel#forecastSum})
 *                                   S = Σ_{i=0}^{h-1} y[to − m + (i mod m)], the same buckets one period earlier
 * </pre>
 * Combining forecasts of different kinds is one of the most reliable ways to cut forecast error
 * (Bates and Granger 1969; the M-competitions): on write volume, the ETS model chosen by AICc is
 * mostly ETS(A,N,N), a smoothed level that misses the daily shape, while seasonal naive keeps the
 * shape but carries one period's noise. Their errors are far from perfectly correlated, so the
 * average beats both. The weight w is given, or chosen in-sample ({@link #CHOOSE_WEIGHT}, the default)
 * as the w ∈ {0, 0.05, …, 1} minimising the absolute error of the in-sample combined h-sum forecasts
 * described below, when there are enough of them; otherwise it is {@link #EQUAL_WEIGHT}.
 *
 * <h2>Interval: in-sample empirical (split-conformal style)</h2>
 * The analytic ETS interval assumes Gaussian errors from a correctly specified model. Write volume is
 * skewed and bursty, and the combination has no likelihood at all, so the bounds come from errors the
 * combination actually made: the fitted model's filter is run once more over the window
 * ({@link FittedModel#rewound()}, O(1) per step, no refit) and at every in-sample origin t with at
 * least one period of history before it (seasonal naive needs it) and h buckets after it, the
 * combined h-sum forecast P_t is computed from the state at t (O(h)) and compared with the actual
 * in-sample sum A_t. With the n errors e_t = A_t − P_t sorted, e_(1) ≤ … ≤ e_(n):
 * <pre>
 *   upper = P + e_(k)     k = ⌈(n + 1) · (1 + c)/2⌉      (the conformal finite-sample rank)
 *   lower = P + e_(n+1−k)
 * </pre>
 * so {@code confidence} c keeps the two-sided meaning of {@link GrowthForecast}: the upper bound is
 * the (1 + c)/2 quantile of the sum, exceeded with probability about (1 − c)/2 (c = 0.90 gives the
 * one-sided 95% upper bound a partition is sized by), and a higher c gives a wider interval. The
 * sums overlap, so the errors are correlated; they are still the errors of the same rule at the same
 * horizon, which is what the quantile has to describe. The parameters were fitted on the same window,
 * so the in-sample errors are slightly optimistic; the finite-sample rank leans the other way.
 * {@code sigma} is the root mean square of the errors.
 * <p>
 * <h2>Enough errors</h2>
 * Consecutive in-sample h-sums share h − 1 buckets, so n overlapping errors carry only about n/h
 * independent ones: the 95% quantile of 81 errors of 16-bucket sums is really estimated from about
 * five, and such quantiles undercover (seasonal naive's bounds built this way in the benchmark cover
 * 87% of 16-bucket sums, not 95%). So the errors are only used, for the weight and for the interval,
 * when n ≥ {@link #MIN_CALIBRATION_SUMS} · h. Below that, or when k &gt; n (a confidence too high for
 * the errors available), the weight falls back to {@link #EQUAL_WEIGHT} (unless one was given) and
 * the interval is the model's analytic one from {@link FittedModel#forecastSum}, moved to centre on P
 * (its distances below and above the ETS mean kept). With the default window of 336 buckets and a
 * period of 48 this means: empirical up to h = 13, analytic beyond. Without a full period in the
 * window there is no seasonal naive and P = E. Bounds and mean are never negative.
 * <p>
 * Allocates O(n) scratch per call; meant to run once per refit, not per observation.
 */
public final class CombinedForecast
{
    /**
     * Fewest non-overlapping in-sample h-sums (n / h) the weight and the empirical interval are estimated
     * from; below it the equal weight and the analytic interval are used.
     */
    public static final int MIN_CALIBRATION_SUMS = 20;

    /** The default ETS weight: the plain average of the two forecasts. */
    public static final double EQUAL_WEIGHT = 0.5;

    /** Pass as the ETS weight to choose it in-sample (grid of 0.05 minimising the absolute h-sum error). */
    public static final double CHOOSE_WEIGHT = -1.0;

    /** Suffix of the model name of a combined forecast, for example {@code ETS(A,N,N)+SNAIVE}. */
    public static final String SUFFIX = "+SNAIVE";

    private static final int WEIGHT_STEPS = 20;

    private CombinedForecast()
    {
    }

    /** {@link #forecastSum(FittedModel, double[], int, int, int, int, double, double)} with {@link #CHOOSE_WEIGHT}. */
    public static GrowthForecast forecastSum(
        final FittedModel model,
        final double[] y,
        final int from,
        final int to,
        final int period,
        final int h,
        final double confidence)
    {
        return forecastSum(model, y, from, to, period, h, confidence, CHOOSE_WEIGHT);
    }

    /**
     * Combined forecast of the sum of the h buckets after {@code y[to-1]}.
     *
     * @param model      a model fitted on exactly {@code y[from, to)} (by {@link EtsFitter}), in the state
     *                   after {@code y[to-1]}; not modified.
     * @param y          the series on the original scale.
     * @param period     seasonal period of the seasonal naive part, in buckets (1: the last value repeated);
     *                   independent of whether the model itself is seasonal.
     * @param h          buckets to sum, ≥ 1.
     * @param confidence two-sided coverage in (0, 1); see the class comment.
     * @param etsWeight  weight w of the ETS forecast in [0, 1], or {@link #CHOOSE_WEIGHT} (in-sample when there
     *                   are enough errors, {@link #EQUAL_WEIGHT} otherwise).
     */
    public static GrowthForecast forecastSum(
        final FittedModel model,
        final double[] y,
        final int from,
        final int to,
        final int period,
        final int h,
        final double confidence,
        final double etsWeight)
    {
        if (h < 1)
        {
            throw new IllegalArgumentException("horizon must be >= 1 step, got " + h);
        }
        if (!(confidence > 0.0 && confidence < 1.0))
        {
            throw new IllegalArgumentException("confidence must be in (0, 1), got " + confidence);
        }
        if (!(etsWeight >= 0.0 && etsWeight <= 1.0) && etsWeight != CHOOSE_WEIGHT)
        {
            throw new IllegalArgumentException("etsWeight must be in [0, 1] or CHOOSE_WEIGHT, got " + etsWeight);
        }
        if (from < 0 || to > y.length || from >= to)
        {
            throw new IllegalArgumentException("need 0 <= from < to <= " + y.length + ", got [" + from + ", " + to + ")");
        }
        if (period < 1)
        {
            throw new IllegalArgumentException("period must be >= 1, got " + period);
        }
        final GrowthForecast analytic = model.forecastSum(h, confidence);
        final int n = to - from;
        final boolean combined = n >= period;
        final String name = combined ? model.name() + SUFFIX : model.name();
        final double[] scratch = new double[h];
        final double ets = model.sumForecast(h, scratch);

        // In-sample origins t in [from + warm-up, to − h]: the forecast from the state before y[t].
        final int warmup = period;
        final int first = from + warmup;
        final int count = Math.max(0, to - h - first + 1);
        final double[] etsAt = new double[count];
        final double[] naiveAt = new double[count];
        final double[] actualAt = new double[count];
        if (count > 0)
        {
            final FittedModel replay = model.rewound();
            double window = 0.0;  // y[t, t + h)
            for (int i = first; i < first + h; i++)
            {
                window += y[i];
            }
            for (int i = from; i <= to - h; i++)
            {
                if (i >= first)
                {
                    final int k = i - first;
                    if (k > 0)
                    {
                        window += y[i + h - 1] - y[i - 1];
                    }
                    etsAt[k] = replay.sumForecast(h, scratch);
                    naiveAt[k] = seasonalNaiveSum(y, i, period, h);
                    actualAt[k] = window;
                }
                replay.observe(y[i]);
            }
        }

        final boolean enough = count >= (long)MIN_CALIBRATION_SUMS * h;
        final double w = !combined ? 1.0 : etsWeight != CHOOSE_WEIGHT ? etsWeight :
            enough ? chooseWeight(etsAt, naiveAt, actualAt) : EQUAL_WEIGHT;
        final double point = combined ? Math.max(0.0, w * ets + (1.0 - w) * seasonalNaiveSum(y, to, period, h)) : ets;

        final double upperLevel = 0.5 * (1.0 + confidence);
        final int rank = (int)Math.ceil((count + 1) * upperLevel);
        if (!enough || rank > count)
        {
            return new GrowthForecast(h, point, Math.max(0.0, point - (analytic.mean() - analytic.lower())),
                Math.max(0.0, point + (analytic.upper() - analytic.mean())), confidence, analytic.sigma(), name);
        }
        final double[] errors = new double[count];
        double squares = 0.0;
        for (int k = 0; k < count; k++)
        {
            final double p = Math.max(0.0, w * etsAt[k] + (1.0 - w) * naiveAt[k]);
            errors[k] = actualAt[k] - p;
            squares += errors[k] * errors[k];
        }
        Arrays.sort(errors);
        final double upper = Math.max(0.0, point + errors[rank - 1]);
        final double lower = Math.max(0.0, point + errors[count - rank]);
        return new GrowthForecast(h, point, Math.min(lower, upper), upper, confidence, Math.sqrt(squares / count), name);
    }

    /**
     * Seasonal naive forecast of the sum of y[t, t + h): each bucket as the same bucket of the last
     * full period before t. Needs t ≥ period.
     */
    static double seasonalNaiveSum(final double[] y, final int t, final int period, final int h)
    {
        double sum = 0.0;
        for (int i = 0; i < h; i++)
        {
            sum += y[t - period + i % period];
        }
        return sum;
    }

    /** The w on a grid of 0.05 with the smallest in-sample absolute error of the combination; 0.5 when there is nothing to score. */
    static double chooseWeight(final double[] ets, final double[] naive, final double[] actual)
    {
        if (ets.length == 0)
        {
            return EQUAL_WEIGHT;
        }
        double best = EQUAL_WEIGHT;
        double bestError = Double.POSITIVE_INFINITY;
        for (int s = 0; s <= WEIGHT_STEPS; s++)
        {
            final double w = (double)s / WEIGHT_STEPS;
            double error = 0.0;
            for (int k = 0; k < ets.length; k++)
            {
                error += Math.abs(actual[k] - Math.max(0.0, w * ets[k] + (1.0 - w) * naive[k]));
            }
            // Ties go to the weight nearest the equal mix, the safer default.
            if (error < bestError || (error == bestError && Math.abs(w - EQUAL_WEIGHT) < Math.abs(best - EQUAL_WEIGHT)))
            {
                best = w;
                bestError = error;
            }
        }
        return best;
    }
}
