package io.presync.forecast;

import java.util.Arrays;
import java.util.SplittableRandom;

/**
 * A fitted additive-error exponential smoothing model and its current state, in the innovations
 * state-space form of Hyndman, Koehler, Ord and Snyder (2008), on the (possibly transformed) fitted
 * scale z:
 * <pre>
 *   z_t = l_{t-1} + φ b_{t-1} + s_{t-m} + ε_t        ε_t ~ N(0, σ²) independent
 *   l_t = l_{t-1} + φ b_{t-1} + α ε_t
 *   b_t =           φ b_{t-1} + β ε_t
 *   s_t = s_{t-m}             + γ ε_t
 * </pre>
 * (no trend: b ≡ 0, β = 0; undamped trend: φ = 1; no season: s ≡ 0, γ = 0). The m seasonal states
 * live in a ring array, so {@link #observe(double)} is O(1) and allocation-free.
 *
 * <h2>Forecast distribution</h2>
 * Writing x_n for the state after the last observation and iterating the equations, the future
 * value i steps ahead is its point forecast plus a linear combination of the future errors:
 * <pre>
 *   z_{n+i} = μ_i + ε_{n+i} + Σ_{k=1}^{i-1} c_{i-k} ε_{n+k},   c_j = w'F^{j-1}g = α + β φ_j + γ [j mod m = 0]
 *   μ_i     = l_n + φ_i b_n + s_{n+i-m(⌊(i-1)/m⌋+1)},           φ_i = φ + φ² + … + φ^i  (i when undamped)
 * </pre>
 * so the per-step variance is {@code v_i = σ²(1 + Σ_{j=1}^{i-1} c_j²)}. For the sum over the next h
 * steps, collect the coefficient of each future error: ε_{n+k} enters step k with weight 1 and every
 * later step i ∈ (k, h] with weight c_{i-k}, in total {@code 1 + Σ_{i=k+1}^{h} c_{i-k} = 1 + C_{h-k}}
 * with the prefix sums {@code C_r = Σ_{j=1}^{r} c_j}. The errors are independent, hence
 * <pre>
 *   Var(Σ_{i=1}^{h} z_{n+i}) = σ² Σ_{k=1}^{h} (1 + C_{h-k})²
 * </pre>
 * which contains every covariance {@code Cov(z_{n+i}, z_{n+j}) = σ² Σ_k a_{ik} a_{jk}} between steps
 * (a_{ik} the weight of ε_{n+k} in step i: 1 when i = k, c_{i-k} when i &gt; k); it is computed in O(h).
 * The tests check it against covariance propagation of the state augmented with the running sum, and
 * against simulation. Summing per-step variances instead would ignore that one surprise moves
 * the level for all later steps, and would understate the spread of the sum badly for h ≫ 1.
 *
 * <h2>Back to bytes</h2>
 * {@link Transform#NONE}: the sum is Gaussian; the interval is mean ± z·sd with
 * z = Φ⁻¹((1+c)/2), bounds and mean clamped at 0.
 * {@link Transform#LOG1P}: each step is max(0, expm1(z)) of a Gaussian z. One step has closed forms
 * (interval = back-transformed Gaussian bounds; mean = E[max(0, e^Z − 1)], the bias-adjusted
 * expectation, not the median). A sum of correlated lognormals has no closed form, so
 * {@link #forecastSum(int, double)} simulates {@value #SIMULATION_PATHS} paths of the state-space
 * model with a fixed seed (deterministic output) and reports the sample mean, standard deviation and
 * empirical quantiles of the clamped sums. Each reported step is also capped at 10× the largest
 * bucket seen ({@link #LOG1P_HEADROOM}): with a large σ on the log scale (bursty, often-zero series)
 * the untruncated lognormal mean is dominated by absurd paths and overflows. The one-step closed
 * forms include the cap (truncated lognormal moments, computed in the log domain).
 *
 * <h2>Naive fallback</h2>
 * With fewer than {@link EtsFitter#MIN_OBSERVATIONS} points (or no usable model) the model is
 * {@code NAIVE(mean)}: every step is forecast as the mean of the history on the original scale, with
 * the history's variance, steps independent. It ignores the transform.
 * <p>
 * Not thread-safe: {@link #observe(double)} mutates the state. Use {@link #copy()} to hand a model
 * to another thread.
 */
public final class FittedModel
{
    /** Paths simulated for a transformed horizon sum. */
    public static final int SIMULATION_PATHS = 2000;
    private static final long SIMULATION_SEED = 0x5EED_F0CA_57L;

    private final EtsSpec spec;
    private final Transform transform;
    private final double alpha;
    private final double beta;
    private final double gamma;
    private final double phi;
    private final boolean naive;
    private final int period;
    private final String name;

    // Initial states the filter started from, kept for diagnostics and tests.
    final double initialLevel;
    final double initialTrend;
    final double[] initialSeasonal;

    /**
     * Under LOG1P, no single step is reported above ln(10) more than the largest value seen on the
     * fitted scale: 10× the largest bucket. A Gaussian on the log scale with a large σ (bursty,
     * often-zero series) has a mean dominated by astronomically unlikely paths, and without a
     * ceiling the bias-adjusted mean overflows; the cap is where the model stops being credible.
     */
    public static final double LOG1P_HEADROOM = Math.log(10.0);

    private double maxObserved = Double.NEGATIVE_INFINITY;
    private double sse;
    private double sigma2;
    private double aicc = Double.POSITIVE_INFINITY;
    private int fittedObservations;

    private double level;
    private double slope;
    private final double[] season;
    private int next;
    private long observations;

    // The latest one-step errors (fitted scale), for the residual bootstrap; a ring of fixed capacity.
    private final double[] residuals;
    private int residualCount;
    private int residualNext;

    // NAIVE(mean): Welford running mean and sum of squared deviations on the original scale.
    private double naiveMean;
    private double naiveM2;

    FittedModel(
        final EtsSpec spec,
        final Transform transform,
        final double alpha,
        final double beta,
        final double gamma,
        final double phi,
        final double level0,
        final double trend0,
        final double[] seasonal0)
    {
        this(spec, transform, alpha, beta, gamma, phi, level0, trend0, seasonal0, 0);
    }

    FittedModel(
        final EtsSpec spec,
        final Transform transform,
        final double alpha,
        final double beta,
        final double gamma,
        final double phi,
        final double level0,
        final double trend0,
        final double[] seasonal0,
        final int residualCapacity)
    {
        this.residuals = new double[residualCapacity];
        this.spec = spec;
        this.transform = transform;
        this.naive = false;
        this.alpha = alpha;
        this.beta = spec.trend() == Trend.NONE ? 0.0 : beta;
        this.gamma = spec.seasonal() ? gamma : 0.0;
        this.phi = spec.trend() == Trend.DAMPED ? phi : 1.0;
        this.period = spec.period();
        this.level = level0;
        this.slope = spec.trend() == Trend.NONE ? 0.0 : trend0;
        this.season = new double[period];
        if (spec.seasonal())
        {
            System.arraycopy(seasonal0, 0, season, 0, period);
        }
        this.initialLevel = level;
        this.initialTrend = slope;
        this.initialSeasonal = season.clone();
        this.name = transform == Transform.LOG1P ? spec.name() + "+log1p" : spec.name();
    }

    private FittedModel(final Transform transform, final double mean, final double m2, final int count)
    {
        this.residuals = new double[0];
        this.spec = EtsSpec.of(Trend.NONE);
        this.transform = transform;
        this.naive = true;
        this.alpha = 0.0;
        this.beta = 0.0;
        this.gamma = 0.0;
        this.phi = 1.0;
        this.period = 1;
        this.season = new double[1];
        this.initialLevel = mean;
        this.initialTrend = 0.0;
        this.initialSeasonal = season;
        this.name = "NAIVE(mean)";
        this.naiveMean = mean;
        this.naiveM2 = m2;
        this.observations = count;
        this.fittedObservations = count;
        this.sigma2 = count > 1 ? m2 / (count - 1) : 0.0;
    }

    private FittedModel(final FittedModel other)
    {
        this.spec = other.spec;
        this.transform = other.transform;
        this.naive = other.naive;
        this.alpha = other.alpha;
        this.beta = other.beta;
        this.gamma = other.gamma;
        this.phi = other.phi;
        this.period = other.period;
        this.sse = other.sse;
        this.sigma2 = other.sigma2;
        this.aicc = other.aicc;
        this.fittedObservations = other.fittedObservations;
        this.level = other.level;
        this.slope = other.slope;
        this.season = other.season.clone();
        this.residuals = other.residuals.clone();
        this.residualCount = other.residualCount;
        this.residualNext = other.residualNext;
        this.initialLevel = other.initialLevel;
        this.initialTrend = other.initialTrend;
        this.initialSeasonal = other.initialSeasonal;
        this.name = other.name;
        this.next = other.next;
        this.observations = other.observations;
        this.maxObserved = other.maxObserved;
        this.naiveMean = other.naiveMean;
        this.naiveM2 = other.naiveM2;
    }

    static FittedModel naive(final double[] y, final int from, final int to, final Transform transform)
    {
        double mean = 0.0;
        double m2 = 0.0;
        int count = 0;
        for (int i = from; i < to; i++)
        {
            count++;
            final double d = y[i] - mean;
            mean += d / count;
            m2 += d * (y[i] - mean);
        }
        return new FittedModel(transform, mean, m2, count);
    }

    void finish(final double sse, final double sigma2, final double aicc, final int fittedObservations)
    {
        this.sse = sse;
        this.sigma2 = sigma2;
        this.aicc = aicc;
        this.fittedObservations = fittedObservations;
    }

    /**
     * A copy with the same parameters and σ² but the state the fit started from (before the first
     * observation of its window), no residuals kept and nothing seen: feeding it the window again
     * through {@link #observe(double)} reproduces the fitted filter step by step, which is how
     * {@link CombinedForecast} measures in-sample h-step errors without refitting.
     */
    FittedModel rewound()
    {
        if (naive)
        {
            final FittedModel m = new FittedModel(transform, 0.0, 0.0, 0);
            m.sigma2 = sigma2;
            return m;
        }
        final FittedModel m = new FittedModel(spec, transform, alpha, beta, gamma, phi, initialLevel, initialTrend,
            initialSeasonal, 0);
        m.finish(sse, sigma2, aicc, fittedObservations);
        return m;
    }

    /**
     * Expected sum of the next h values on the original scale, never negative, without simulation:
     * under {@link Transform#NONE} (and for the naive model) exactly the mean {@link #forecastSum}
     * reports; under {@link Transform#LOG1P} the sum of the per-step bias-adjusted means of
     * {@link #pointForecasts(int, double[])} (which {@code forecastSum} estimates by simulation).
     *
     * @param scratch at least h doubles, overwritten (LOG1P only; may be null otherwise).
     */
    double sumForecast(final int h, final double[] scratch)
    {
        checkHorizon(h);
        if (naive)
        {
            return Math.max(0.0, h * naiveMean);
        }
        if (transform == Transform.NONE)
        {
            double mean = 0.0;
            double dampedSum = 0.0;
            int slot = next;
            for (int i = 1; i <= h; i++)
            {
                dampedSum = phi * (1.0 + dampedSum);
                mean += level + dampedSum * slope + season[slot];
                slot = slot + 1 == period ? 0 : slot + 1;
            }
            return Math.max(0.0, mean);
        }
        pointForecasts(h, scratch);
        double sum = 0.0;
        for (int i = 0; i < h; i++)
        {
            sum += scratch[i];
        }
        return sum;
    }

    /** An independent copy with the same parameters and current state. */
    public FittedModel copy()
    {
        return new FittedModel(this);
    }

    /** The model structure actually fitted (after any fallback to a simpler one). */
    public EtsSpec spec()
    {
        return spec;
    }

    public Transform transform()
    {
        return transform;
    }

    /** True for the {@code NAIVE(mean)} fallback; the smoothing parameters are then meaningless. */
    public boolean isNaive()
    {
        return naive;
    }

    /** Model name as reported in forecasts, for example {@code ETS(A,Ad,A)+log1p} or {@code NAIVE(mean)}. */
    public String name()
    {
        return name;
    }

    /** Corrected Akaike criterion of the fit on the fitted scale; +infinity when not computable (too few points, fixed parameters). */
    public double aicc()
    {
        return aicc;
    }

    /**
     * Innovation variance σ² on the fitted scale: SSE/(n − k) for an estimated model with k
     * estimated parameters (as R's forecast::ets), SSE/n for fixed parameters (as statsmodels' mse).
     */
    public double sigma2()
    {
        return sigma2;
    }

    public double alpha()
    {
        return alpha;
    }

    /** Trend smoothing β (in the error-correction form, 0 &lt; β &lt; α); 0 without trend. */
    public double beta()
    {
        return beta;
    }

    /** Seasonal smoothing γ; 0 without season. */
    public double gamma()
    {
        return gamma;
    }

    /** Damping φ; 1 for an undamped or absent trend. */
    public double phi()
    {
        return phi;
    }

    /** Sum of squared one-step errors over the fitted observations, on the fitted scale. */
    double sse()
    {
        return sse;
    }

    /** Observations the parameters were estimated from. */
    public int fittedObservations()
    {
        return fittedObservations;
    }

    /** Observations filtered into the state: the fitted ones plus every {@link #observe(double)} since. */
    public long observations()
    {
        return observations;
    }

    double level()
    {
        return level;
    }

    double slope()
    {
        return slope;
    }

    /** Seasonal state that the observation {@code step} steps ahead uses (step ≥ 1). */
    double seasonalFor(final int step)
    {
        return season[(int)((next + (long)step - 1) % period)];
    }

    /**
     * Updates the state with the next observation (original scale) in O(1) without allocating; the
     * parameters stay as fitted. Use between refits.
     *
     * @throws IllegalArgumentException when y is not finite, or negative under {@link Transform#LOG1P}.
     */
    public void observe(final double y)
    {
        if (!Double.isFinite(y) || (transform == Transform.LOG1P && y < 0.0))
        {
            throw new IllegalArgumentException("observation must be finite" +
                (transform == Transform.LOG1P ? " and >= 0" : "") + ", got " + y);
        }
        if (naive)
        {
            observations++;
            final double d = y - naiveMean;
            naiveMean += d / observations;
            naiveM2 += d * (y - naiveMean);
            sigma2 = observations > 1 ? naiveM2 / (observations - 1) : 0.0;
            return;
        }
        final double z = transform == Transform.LOG1P ? Math.log1p(y) : y;
        if (z > maxObserved)
        {
            maxObserved = z;
        }
        update(z);
    }

    /** Records the largest fitted-scale value seen, for the LOG1P ceiling. */
    void seen(final double z)
    {
        if (z > maxObserved)
        {
            maxObserved = z;
        }
    }

    /** Fitted-scale ceiling of a reported step: +infinity unless LOG1P. */
    double ceiling()
    {
        if (transform != Transform.LOG1P)
        {
            return Double.POSITIVE_INFINITY;
        }
        return Math.max(maxObserved, 0.0) + LOG1P_HEADROOM;
    }

    /** One filter step on the fitted scale; returns the one-step error. */
    double update(final double z)
    {
        final int i = next;
        final double damped = phi * slope;
        final double e = z - (level + damped + season[i]);
        level = level + damped + alpha * e;
        slope = damped + beta * e;
        season[i] += gamma * e;
        next = i + 1 == period ? 0 : i + 1;
        observations++;
        final double[] r = residuals;
        if (r.length > 0)
        {
            final int k = residualNext;
            r[k] = e;
            residualNext = k + 1 == r.length ? 0 : k + 1;
            if (residualCount < r.length)
            {
                residualCount++;
            }
        }
        return e;
    }

    /** One-step-ahead point forecast on the fitted scale. */
    double oneStepForecast()
    {
        return level + phi * slope + season[next];
    }

    /** Point forecast {@code step} steps ahead on the fitted scale. */
    double fittedScaleForecast(final int step)
    {
        return level + dampedSum(step) * slope + seasonalFor(step);
    }

    /** φ_j = φ + … + φ^j (j when undamped). */
    private double dampedSum(final int j)
    {
        if (phi == 1.0)
        {
            return j;
        }
        return phi * (1.0 - Math.pow(phi, j)) / (1.0 - phi);
    }

    /** c_j = w'F^{j-1}g: weight of a one-step error on the value j steps later. */
    double errorWeight(final int j)
    {
        return errorWeight(j, dampedSum(j));
    }

    /** c_j given φ_j, which the variance loops carry along as φ_j = φ(1 + φ_{j-1}). */
    private double errorWeight(final int j, final double dampedSumJ)
    {
        double c = alpha + beta * dampedSumJ;
        if (gamma != 0.0 && j % period == 0)
        {
            c += gamma;
        }
        return c;
    }

    /**
     * Prediction variance of the value {@code step} steps ahead on the fitted scale:
     * σ²(1 + Σ_{j=1}^{step-1} c_j²).
     */
    public double stepVariance(final int step)
    {
        checkHorizon(step);
        if (naive)
        {
            return sigma2;
        }
        double sum = 1.0;
        double dampedSum = 0.0;
        for (int j = 1; j < step; j++)
        {
            dampedSum = phi * (1.0 + dampedSum);
            final double c = errorWeight(j, dampedSum);
            sum += c * c;
        }
        return sigma2 * sum;
    }

    /**
     * Variance of the sum of the next h values on the fitted scale, covariances included:
     * σ² Σ_{k=1}^{h} (1 + C_{h-k})² (derivation in the class comment).
     */
    public double sumVariance(final int h)
    {
        checkHorizon(h);
        if (naive)
        {
            return h * sigma2;
        }
        // k runs h..1, so h-k runs 0..h-1 and the prefix sum C grows by one weight per term.
        double prefix = 0.0;
        double sum = 0.0;
        double dampedSum = 0.0;
        for (int r = 0; r < h; r++)
        {
            if (r > 0)
            {
                dampedSum = phi * (1.0 + dampedSum);
                prefix += errorWeight(r, dampedSum);
            }
            final double a = 1.0 + prefix;
            sum += a * a;
        }
        return sigma2 * sum;
    }

    /** Expected values of the next h steps on the original scale, never negative. */
    public double[] pointForecasts(final int h)
    {
        checkHorizon(h);
        final double[] out = new double[h];
        pointForecasts(h, out);
        return out;
    }

    /**
     * Fills {@code out[0..h)} with the expected values of the next h steps on the original scale,
     * never negative. Under {@link Transform#LOG1P} each is the bias-adjusted mean
     * E[min(max(0, e^Z − 1), C)] for the step's Gaussian Z ~ N(μ, v) and the ceiling C
     * ({@link #LOG1P_HEADROOM}); without the cap it would be e^{μ+v/2} Φ((μ+v)/√v) − Φ(μ/√v).
     */
    public void pointForecasts(final int h, final double[] out)
    {
        checkHorizon(h);
        if (naive)
        {
            Arrays.fill(out, 0, h, Math.max(0.0, naiveMean));
            return;
        }
        if (transform == Transform.NONE)
        {
            double dampedSum = 0.0;
            int slot = next;
            for (int i = 1; i <= h; i++)
            {
                dampedSum = phi * (1.0 + dampedSum);
                out[i - 1] = Math.max(0.0, level + dampedSum * slope + season[slot]);
                slot = slot + 1 == period ? 0 : slot + 1;
            }
            return;
        }
        double weights = 0.0;
        for (int i = 1; i <= h; i++)
        {
            if (i > 1)
            {
                final double c = errorWeight(i - 1);
                weights += c * c;
            }
            out[i - 1] = clampedExpm1Mean(fittedScaleForecast(i), sigma2 * (1.0 + weights), ceiling());
        }
    }

    /**
     * Forecast of the sum of the next h values on the original scale, with a two-sided interval at
     * the given confidence (see the class comment for how each transform is handled).
     *
     * @param h          steps to sum, ≥ 1.
     * @param confidence two-sided coverage in (0, 1), for example 0.95.
     */
    public GrowthForecast forecastSum(final int h, final double confidence)
    {
        checkHorizon(h);
        if (!(confidence > 0.0 && confidence < 1.0))
        {
            throw new IllegalArgumentException("confidence must be in (0, 1), got " + confidence);
        }
        final double z = Normal.inverseCdf(0.5 * (1.0 + confidence));
        if (naive || transform == Transform.NONE)
        {
            double mean = 0.0;
            if (naive)
            {
                mean = h * naiveMean;
            }
            else
            {
                double dampedSum = 0.0;
                int slot = next;
                for (int i = 1; i <= h; i++)
                {
                    dampedSum = phi * (1.0 + dampedSum);
                    mean += level + dampedSum * slope + season[slot];
                    slot = slot + 1 == period ? 0 : slot + 1;
                }
            }
            final double sd = Math.sqrt(sumVariance(h));
            return new GrowthForecast(h, Math.max(0.0, mean), Math.max(0.0, mean - z * sd),
                Math.max(0.0, mean + z * sd), confidence, sd, name());
        }
        if (h == 1)
        {
            final double mu = fittedScaleForecast(1);
            final double v = sigma2;
            final double sd = Math.sqrt(v);
            final double c = ceiling();
            final double mean = clampedExpm1Mean(mu, v, c);
            final double second = clampedExpm1SecondMoment(mu, v, c);
            return new GrowthForecast(1, mean, Math.max(0.0, Math.expm1(Math.min(c, mu - z * sd))),
                Math.max(0.0, Math.expm1(Math.min(c, mu + z * sd))), confidence,
                Math.sqrt(Math.max(0.0, second - mean * mean)), name());
        }
        return simulateSum(h, confidence, false);
    }

    /**
     * Forecast of the sum of the next h values from {@value #SIMULATION_PATHS} simulated sample paths
     * of the state-space model whose errors are drawn (seeded) from the model's own recent one-step
     * errors, centred, instead of from N(0, σ²): the residual bootstrap of Hyndman et al. (2008,
     * §6.4; R's {@code forecast(..., bootstrap = TRUE)}). Write volume is right-skewed, so a Gaussian
     * interval's upper bound undercovers; resampled residuals carry the skew into the sum. Each step
     * is floored at 0 bytes (and capped under LOG1P as in {@link #forecastSum}); mean, sigma and the
     * empirical quantiles are those of the simulated sums. The residuals kept are those of the fit
     * plus every {@link #observe(double)} since, at most as many as the fit had. Falls back to
     * {@link #forecastSum} for the naive model or with fewer than two residuals.
     */
    public GrowthForecast forecastSumBootstrap(final int h, final double confidence)
    {
        checkHorizon(h);
        if (!(confidence > 0.0 && confidence < 1.0))
        {
            throw new IllegalArgumentException("confidence must be in (0, 1), got " + confidence);
        }
        if (naive || residualCount < 2)
        {
            return forecastSum(h, confidence);
        }
        return simulateSum(h, confidence, true);
    }

    private GrowthForecast simulateSum(final int h, final double confidence, final boolean bootstrap)
    {
        final double sd = Math.sqrt(sigma2);
        final double[] sums = new double[SIMULATION_PATHS];
        final double[] seasonUsed = new double[h];
        final double[] errors = new double[h];
        final SplittableRandom random = new SplittableRandom(SIMULATION_SEED);
        final int m = period;
        final boolean log = transform == Transform.LOG1P;
        final double cap = log ? Math.expm1(ceiling()) : Double.POSITIVE_INFINITY;
        final int count = residualCount;
        double centre = 0.0;
        for (int k = 0; k < count; k++)
        {
            centre += residuals[k];
        }
        centre /= Math.max(1, count);
        double total = 0.0;
        for (int p = 0; p < SIMULATION_PATHS; p++)
        {
            double l = level;
            double b = slope;
            double sum = 0.0;
            for (int i = 0; i < h; i++)
            {
                final double s = i < m ? season[(next + i) % m] : seasonUsed[i - m] + gamma * errors[i - m];
                final double damped = phi * b;
                final double e = bootstrap ? residuals[random.nextInt(count)] - centre : sd * random.nextGaussian();
                final double z = l + damped + s + e;
                sum += log ? Math.min(cap, Math.max(0.0, Math.expm1(z))) : Math.max(0.0, z);
                seasonUsed[i] = s;
                errors[i] = e;
                l = l + damped + alpha * e;
                b = damped + beta * e;
            }
            sums[p] = sum;
            total += sum;
        }
        final double mean = total / SIMULATION_PATHS;
        double squares = 0.0;
        for (final double s : sums)
        {
            squares += (s - mean) * (s - mean);
        }
        Arrays.sort(sums);
        return new GrowthForecast(h, mean, quantile(sums, 0.5 * (1.0 - confidence)),
            quantile(sums, 0.5 * (1.0 + confidence)), confidence,
            Math.sqrt(squares / (SIMULATION_PATHS - 1)), name());
    }

    /** Linear interpolation between order statistics (type 7, as numpy's default). */
    static double quantile(final double[] sorted, final double p)
    {
        final double position = p * (sorted.length - 1);
        final int below = (int)Math.floor(position);
        final int above = Math.min(sorted.length - 1, below + 1);
        final double fraction = position - below;
        return sorted[below] + fraction * (sorted[above] - sorted[below]);
    }

    /** E[min(max(0, e^Z − 1), e^c − 1)] for Z ~ N(μ, v): the mean of one step, floored at 0 and capped. */
    static double clampedExpm1Mean(final double mu, final double v, final double c)
    {
        final double cap = Math.expm1(c);
        if (v <= 0.0)
        {
            return Math.min(cap, Math.max(0.0, Math.expm1(mu)));
        }
        final double above = Math.exp(Normal.logUpperTail((c - mu) / Math.sqrt(v)));
        final double mean = truncatedExpMoment(1, mu, v, c) - truncatedExpMoment(0, mu, v, c) +
            (above > 0.0 ? cap * above : 0.0);
        return Math.min(cap, Math.max(0.0, mean));
    }

    /** E[min(max(0, e^Z − 1), e^c − 1)²] for Z ~ N(μ, v). */
    static double clampedExpm1SecondMoment(final double mu, final double v, final double c)
    {
        final double cap = Math.expm1(c);
        if (v <= 0.0)
        {
            final double x = Math.min(cap, Math.max(0.0, Math.expm1(mu)));
            return x * x;
        }
        final double above = Math.exp(Normal.logUpperTail((c - mu) / Math.sqrt(v)));
        final double second = truncatedExpMoment(2, mu, v, c) - 2.0 * truncatedExpMoment(1, mu, v, c) +
            truncatedExpMoment(0, mu, v, c) + (above > 0.0 ? cap * cap * above : 0.0);
        return Math.max(0.0, second);
    }

    /**
     * E[e^{kZ} 1{0 &lt; Z &lt; c}] for Z ~ N(μ, v), v &gt; 0: e^{kμ + k²v/2} P(0 &lt; N(μ + kv, v) &lt; c),
     * combined in the log domain so that a huge exponential times a tiny probability stays finite.
     */
    static double truncatedExpMoment(final int k, final double mu, final double v, final double c)
    {
        final double s = Math.sqrt(v);
        final double shift = mu + k * v;
        final double logP = Normal.logProbabilityBetween(-shift / s, c == Double.POSITIVE_INFINITY ?
            Double.POSITIVE_INFINITY : (c - shift) / s);
        if (logP == Double.NEGATIVE_INFINITY)
        {
            return 0.0;
        }
        return Math.exp(k * mu + 0.5 * k * k * v + logP);
    }

    private static void checkHorizon(final int h)
    {
        if (h < 1)
        {
            throw new IllegalArgumentException("horizon must be >= 1 step, got " + h);
        }
    }

    @Override
    public String toString()
    {
        return name() + "[alpha=" + alpha + ", beta=" + beta + ", gamma=" + gamma + ", phi=" + phi +
            ", sigma2=" + sigma2 + ", aicc=" + aicc + ", n=" + fittedObservations + "]";
    }
}
