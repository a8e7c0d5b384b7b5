package io.presync.forecast;

/**
 * Fits additive-error exponential smoothing models ({@link FittedModel}) to a series by maximum
 * likelihood, chooses among them by AICc, and detects a seasonal period.
 *
 * <h2>Estimation</h2>
 * <ul>
 * <li>Objective: the Gaussian likelihood with σ² concentrated out, n·log(SSE/n).</li>
 * <li>α, β, γ, φ: Nelder–Mead on logit-mapped coordinates, which keeps every trial inside the
 *     admissible region used by statsmodels and R's forecast::ets: 0 &lt; α &lt; 1, 0 &lt; β &lt; α,
 *     0 &lt; γ &lt; 1 − α, 0.8 ≤ φ ≤ 0.98 (edges kept 1e-4 away).</li>
 * <li>Initial states, started from the classical-decomposition heuristic of R's {@code ets} and
 *     statsmodels' {@code 'heuristic'} (first up to five full periods: centred 2×m moving average,
 *     per-phase mean of the detrended values, normalised to sum 0; a line through the first
 *     max(10, 2m) adjusted points). The one-step errors are affine in the initial state, so:
 *     the level and trend are profiled out exactly by least squares at every evaluation, and all
 *     states (seasonal included) are re-solved by least squares after each of the two simplex
 *     rounds (simplex, states, simplex, states), unless that costs more than
 *     {@link #POLISH_BUDGET}. This reaches statsmodels' full MLE ({@code 'estimated'}) SSE at a small
 *     fraction of its cost.</li>
 * <li>AICc = −2 log L + 2k + 2k(k+1)/(n − k − 1) with k = smoothing parameters + free initial states
 *     (level, trend, m − 1 seasonal) + 1 for σ²; +infinity when n ≤ k + 1.</li>
 * </ul>
 *
 * <h2>Fallbacks (never an exception for short or degenerate input)</h2>
 * <ul>
 * <li>Fewer than {@value #MIN_OBSERVATIONS} points: {@code NAIVE(mean)} (see {@link FittedModel}).</li>
 * <li>Seasonal spec with fewer than 2·m + {@value #SEASONAL_EXTRA} points: the same trend without season.</li>
 * <li>{@link #fitAuto}: candidates whose AICc is not finite are skipped; none left → {@code NAIVE(mean)}.</li>
 * <li>Constant or all-zero input: the SSE is floored at n·1e-14·(1 + max|z|²) so nothing becomes NaN;
 *     the simplest model wins the AICc tie.</li>
 * </ul>
 * Input values must be finite (and ≥ 0 under {@link Transform#LOG1P}); otherwise an
 * {@link IllegalArgumentException} names the first bad index.
 */
public final class EtsFitter
{
    /** Fewer points than this give the naive mean model. */
    public static final int MIN_OBSERVATIONS = 4;
    /** A seasonal model needs this many points beyond two full periods. */
    public static final int SEASONAL_EXTRA = 3;
    /**
     * One-sided critical value of the autocorrelation test in {@link #detectPeriod}: a period is
     * seasonal when r_m &gt; 1.645·√((1 + 2 Σ_{k&lt;m} r_k²)/n) (Bartlett's standard error, 90% one-sided,
     * the test of the M4 competition's benchmarks).
     */
    public static final double SEASONALITY_CRITICAL_VALUE = 1.645;

    private static final int MAX_EVALUATIONS = 600;
    /**
     * Simplex stopping tolerances on n·log(SSE/n): 1e-3 is a relative SSE change of 1e-3/n; the
     * first round only has to get close, since the initial states are re-solved after it.
     */
    private static final double COARSE_TOLERANCE = 1e-3;
    private static final double FINE_TOLERANCE = 1e-4;
    private static final int HEURISTIC_PERIODS = 5;
    /**
     * Multiply-adds allowed for the least-squares solve of all initial states (n·p²/2 for p states):
     * 20 M keeps it to a few ms. Above it (long periods over long windows, e.g. m = 288 over 2016
     * points: 84 M) the seasonal states stay at the heuristic; level and trend are still profiled.
     */
    static final long POLISH_BUDGET = 20_000_000L;

    private EtsFitter()
    {
    }

    /**
     * Fits one spec by maximum likelihood to {@code y[from..to)}.
     *
     * @return the fitted model with its state after {@code y[to-1]}; a simpler model when the series is
     * too short for the spec (see the class comment).
     */
    public static FittedModel fit(final double[] y, final int from, final int to, final EtsSpec spec, final Transform t)
    {
        final double[] z = transformed(y, from, to, t);
        final int n = to - from;
        if (n < MIN_OBSERVATIONS)
        {
            return FittedModel.naive(y, from, to, t);
        }
        return fitTransformed(z, n, feasible(spec, n), t);
    }

    /**
     * Fits ETS(A,N,N), (A,A,N), (A,Ad,N) and, when {@code period > 1} and the series covers at least
     * 2·period + {@value #SEASONAL_EXTRA} points, (A,N,A), (A,A,A), (A,Ad,A); returns the one with the
     * smallest AICc, or {@code NAIVE(mean)} when none can be scored.
     */
    public static FittedModel fitAuto(final double[] y, final int from, final int to, final int period, final Transform t)
    {
        final double[] z = transformed(y, from, to, t);
        final int n = to - from;
        if (n < MIN_OBSERVATIONS)
        {
            return FittedModel.naive(y, from, to, t);
        }
        final boolean seasonal = period > 1 && n >= 2 * period + SEASONAL_EXTRA;
        FittedModel best = null;
        for (int s = 0; s < (seasonal ? 2 : 1); s++)
        {
            for (final Trend trend : Trend.values())
            {
                final EtsSpec spec = new EtsSpec(trend, s == 1, s == 1 ? period : 1);
                final FittedModel candidate = fitTransformed(z, n, spec, t);
                if (Double.isFinite(candidate.aicc()) && (best == null || candidate.aicc() < best.aicc()))
                {
                    best = candidate;
                }
            }
        }
        return best != null ? best : FittedModel.naive(y, from, to, t);
    }

    /**
     * Runs a model with fixed parameters and initial states over {@code y[from..to)}; nothing is
     * estimated (σ² = SSE/n, AICc = +infinity). For validation and for callers that keep parameters.
     *
     * @param seasonal0 the m initial seasonal states in time order: {@code seasonal0[j]} is added to
     *                  the one-step forecast of {@code y[from + j]} (that is s_{j+1−m}); the order
     *                  statsmodels' ETSModel takes for {@code initial_seasonal} with
     *                  {@code initialization_method='known'}; not normalised; ignored without season.
     */
    public static FittedModel filter(
        final double[] y,
        final int from,
        final int to,
        final EtsSpec spec,
        final Transform t,
        final double alpha,
        final double beta,
        final double gamma,
        final double phi,
        final double level0,
        final double trend0,
        final double[] seasonal0)
    {
        final double[] z = transformed(y, from, to, t);
        if (spec.seasonal() && (seasonal0 == null || seasonal0.length != spec.period()))
        {
            throw new IllegalArgumentException("seasonal0 must hold " + spec.period() + " values");
        }
        final FittedModel model = new FittedModel(spec, t, alpha, beta, gamma, phi, level0, trend0, seasonal0, to - from);
        final int n = to - from;
        double sse = 0.0;
        for (int i = 0; i < n; i++)
        {
            model.seen(z[i]);
            final double e = model.update(z[i]);
            sse += e * e;
        }
        model.finish(sse, n > 0 ? sse / n : 0.0, Double.POSITIVE_INFINITY, n);
        return model;
    }

    /**
     * Picks the seasonal period among {@code candidates} by the autocorrelation of {@code y[from..to)}:
     * only candidates m with at least 2·m points are tried; among those whose r_m passes the test
     * described at {@link #SEASONALITY_CRITICAL_VALUE}, the one with the largest r_m wins.
     *
     * @return the period, or 1 when no candidate is long enough or significant.
     */
    public static int detectPeriod(final double[] y, final int from, final int to, final int[] candidates)
    {
        checkRange(y, from, to);
        final int n = to - from;
        int maxLag = 0;
        for (final int m : candidates)
        {
            if (m >= 2 && 2 * m <= n)
            {
                maxLag = Math.max(maxLag, m);
            }
        }
        if (maxLag == 0)
        {
            return 1;
        }
        double mean = 0.0;
        for (int i = from; i < to; i++)
        {
            if (!Double.isFinite(y[i]))
            {
                throw new IllegalArgumentException("y[" + i + "] is " + y[i] + "; every value must be finite");
            }
            mean += y[i];
        }
        mean /= n;
        double c0 = 0.0;
        for (int i = from; i < to; i++)
        {
            c0 += (y[i] - mean) * (y[i] - mean);
        }
        if (!(c0 > 0.0))
        {
            return 1;
        }
        final double[] r = new double[maxLag + 1];
        for (int k = 1; k <= maxLag; k++)
        {
            double c = 0.0;
            for (int i = from + k; i < to; i++)
            {
                c += (y[i] - mean) * (y[i - k] - mean);
            }
            r[k] = c / c0;
        }
        int best = 1;
        double bestR = Double.NEGATIVE_INFINITY;
        for (final int m : candidates)
        {
            if (m < 2 || 2 * m > n)
            {
                continue;
            }
            double squares = 0.0;
            for (int k = 1; k < m; k++)
            {
                squares += r[k] * r[k];
            }
            final double limit = SEASONALITY_CRITICAL_VALUE * Math.sqrt((1.0 + 2.0 * squares) / n);
            if (r[m] > limit && r[m] > bestR)
            {
                best = m;
                bestR = r[m];
            }
        }
        return best;
    }

    /** Estimated parameters counted by AICc: smoothing and damping, free initial states, σ². */
    static int parameterCount(final EtsSpec spec)
    {
        return spec.smoothingParameterCount() + spec.initialStateCount() + 1;
    }

    static EtsSpec feasible(final EtsSpec spec, final int n)
    {
        if (spec.seasonal() && n < 2 * spec.period() + SEASONAL_EXTRA)
        {
            return EtsSpec.of(spec.trend());
        }
        return spec;
    }

    static FittedModel fitTransformed(final double[] z, final int n, final EtsSpec spec, final Transform t)
    {
        final int m = spec.period();
        final double[] seasonal0 = new double[m];
        final double[] levelTrend = new double[2];
        heuristicStart(z, n, spec, seasonal0, levelTrend);

        final Likelihood likelihood = new Likelihood(z, n, spec, levelTrend[0], levelTrend[1], seasonal0);
        final int d = likelihood.dimensions();
        final NelderMead optimiser = new NelderMead(d);
        final double[] x = new double[d];
        likelihood.start(x);
        optimiser.minimise(likelihood, x, 1.0, COARSE_TOLERANCE, MAX_EVALUATIONS);
        // Alternate: all initial states by exact least squares, then the smoothing parameters again.
        final int states = spec.initialStateCount();
        final boolean polish = (long)n * states * states / 2 <= POLISH_BUDGET;
        if (polish)
        {
            likelihood.map(x);
            likelihood.polishInitialStates();
        }
        optimiser.minimise(likelihood, x, 0.25, FINE_TOLERANCE, MAX_EVALUATIONS);
        likelihood.map(x);
        if (polish)
        {
            likelihood.polishInitialStates();
        }
        else
        {
            likelihood.concentratedSse();
        }

        final FittedModel model = new FittedModel(spec, t, likelihood.alpha, likelihood.beta, likelihood.gamma,
            likelihood.phi, likelihood.level0(), likelihood.trend0(), likelihood.seasonal0(), n);
        double sse = 0.0;
        for (int i = 0; i < n; i++)
        {
            model.seen(z[i]);
            final double e = model.update(z[i]);
            sse += e * e;
        }
        sse = Math.max(sse, likelihood.sseFloor());
        final int k = parameterCount(spec);
        final double logLikelihood = -0.5 * n * (Math.log(2.0 * Math.PI) + Math.log(sse / n) + 1.0);
        final double aicc = n - k - 1 > 0 ?
            -2.0 * logLikelihood + 2.0 * k + 2.0 * k * (k + 1.0) / (n - k - 1.0) :
            Double.POSITIVE_INFINITY;
        model.finish(sse, n - k > 0 ? sse / (n - k) : sse / n, aicc, n);
        return model;
    }

    /**
     * Heuristic initial states: seasonal indices from a classical decomposition of the first up to
     * {@value #HEURISTIC_PERIODS} full periods, then level and trend from a least-squares line through
     * the first max(10, 2m) seasonally adjusted points (the trend is then refined by profiling).
     */
    static void heuristicStart(final double[] z, final int n, final EtsSpec spec, final double[] seasonal0,
        final double[] levelTrend)
    {
        final int m = spec.period();
        java.util.Arrays.fill(seasonal0, 0.0);
        if (spec.seasonal())
        {
            final int cycles = Math.min(n / m, HEURISTIC_PERIODS);
            final int k = cycles * m;
            final double[] sums = new double[m];
            final int[] counts = new int[m];
            final int half = m / 2;
            final double[] prefix = new double[k + 1];
            for (int i = 0; i < k; i++)
            {
                prefix[i + 1] = prefix[i] + z[i];
            }
            // Centred moving average over one period (2×m for even m) removes level and trend.
            for (int c = half; c + half < k; c++)
            {
                final double trend = m % 2 == 0 ?
                    (prefix[c + half] - prefix[c - half + 1] + 0.5 * (z[c - half] + z[c + half])) / m :
                    (prefix[c + half + 1] - prefix[c - half]) / m;
                sums[c % m] += z[c] - trend;
                counts[c % m]++;
            }
            double total = 0.0;
            for (int p = 0; p < m; p++)
            {
                seasonal0[p] = counts[p] > 0 ? sums[p] / counts[p] : 0.0;
                total += seasonal0[p];
            }
            final double mean = total / m;
            for (int p = 0; p < m; p++)
            {
                seasonal0[p] -= mean;
            }
        }
        final int points = Math.min(n, Math.max(10, 2 * m));
        double st = 0.0;
        double sy = 0.0;
        double stt = 0.0;
        double sty = 0.0;
        for (int i = 0; i < points; i++)
        {
            final double t = i + 1;
            final double a = z[i] - seasonal0[i % m];
            st += t;
            sy += a;
            stt += t * t;
            sty += t * a;
        }
        if (spec.trend() == Trend.NONE)
        {
            levelTrend[0] = sy / points;
            levelTrend[1] = 0.0;
            return;
        }
        final double denominator = points * stt - st * st;
        final double slope = denominator > 0.0 ? (points * sty - st * sy) / denominator : 0.0;
        levelTrend[0] = (sy - slope * st) / points;
        levelTrend[1] = slope;
    }

    private static double[] transformed(final double[] y, final int from, final int to, final Transform t)
    {
        checkRange(y, from, to);
        final double[] z = new double[to - from];
        for (int i = from; i < to; i++)
        {
            final double v = y[i];
            if (!Double.isFinite(v))
            {
                throw new IllegalArgumentException("y[" + i + "] is " + v + "; every value must be finite");
            }
            if (t == Transform.LOG1P && v < 0.0)
            {
                throw new IllegalArgumentException("y[" + i + "] is " + v + "; log1p needs values >= 0");
            }
            z[i - from] = t.forward(v);
        }
        return z;
    }

    private static void checkRange(final double[] y, final int from, final int to)
    {
        if (y == null || from < 0 || to > y.length || from > to)
        {
            throw new IllegalArgumentException("range [" + from + ", " + to + ") is not inside an array of " +
                (y == null ? "null" : y.length + " values"));
        }
    }
}
