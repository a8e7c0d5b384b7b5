package io.presync.forecast;

/**
 * Concentrated Gaussian likelihood of one ETS spec on one (transformed) series, as a function of the
 * smoothing parameters in an unconstrained, logit-mapped space.
 * <p>
 * For fixed α, β, γ, φ the one-step errors are affine in the initial state (the model is linear), so
 * the initial level and trend that minimise the SSE have a closed form: run the filter once on the
 * data from the heuristic start, and once each on zero input from a unit level and from a unit trend
 * (their errors are the columns of the design matrix), then solve the 2×2 normal equations. This
 * profiles those states out exactly instead of handing them to the simplex; the seasonal initial
 * states stay at the classical-decomposition heuristic (as statsmodels' {@code 'heuristic'}), since
 * profiling m of them per evaluation would cost m filter passes.
 * <p>
 * Objective: n·log(SSE/n), the Gaussian log-likelihood with σ² concentrated out, up to constants.
 */
final class Likelihood implements NelderMead.Objective
{
    static final double MIN_SMOOTHING = 1e-4;
    static final double MAX_SMOOTHING = 1.0 - 1e-4;
    static final double MIN_PHI = 0.8;
    static final double MAX_PHI = 0.98;

    private final double[] z;
    private final int n;
    private final EtsSpec spec;
    private final boolean hasTrend;
    private final int m;
    private double level0;
    private double trend0;
    private final double[] seasonal0;
    private final double sseFloor;

    private final double[] ring;
    private final double[] ringLevel;
    private final double[] ringTrend;

    // Output of the last evaluation.
    double alpha;
    double beta;
    double gamma;
    double phi;
    double deltaLevel;
    double deltaTrend;
    double sse;

    Likelihood(final double[] z, final int n, final EtsSpec spec, final double level0, final double trend0,
        final double[] seasonal0)
    {
        this.z = z;
        this.n = n;
        this.spec = spec;
        this.hasTrend = spec.trend() != Trend.NONE;
        this.m = spec.period();
        this.level0 = level0;
        this.trend0 = trend0;
        this.seasonal0 = seasonal0;
        this.ring = new double[m];
        this.ringLevel = new double[m];
        this.ringTrend = new double[m];
        double scale = 0.0;
        for (int i = 0; i < n; i++)
        {
            scale = Math.max(scale, Math.abs(z[i]));
        }
        // A constant series fits exactly: keep log(SSE) finite and let the parameter penalty decide.
        this.sseFloor = n * 1e-14 * (1.0 + scale * scale);
    }

    int dimensions()
    {
        return spec.smoothingParameterCount();
    }

    double sseFloor()
    {
        return sseFloor;
    }

    /** Fills x with the unconstrained start point: α = 0.2, β = 0.1α, γ = 0.1(1 − α), φ = 0.95. */
    void start(final double[] x)
    {
        int k = 0;
        x[k++] = logit((0.2 - MIN_SMOOTHING) / (MAX_SMOOTHING - MIN_SMOOTHING));
        if (hasTrend)
        {
            x[k++] = logit((0.1 - MIN_SMOOTHING) / (MAX_SMOOTHING - MIN_SMOOTHING));
        }
        if (spec.seasonal())
        {
            x[k++] = logit((0.1 - MIN_SMOOTHING) / (MAX_SMOOTHING - MIN_SMOOTHING));
        }
        if (spec.trend() == Trend.DAMPED)
        {
            x[k] = logit((0.95 - MIN_PHI) / (MAX_PHI - MIN_PHI));
        }
    }

    /** Maps x to α, β, γ, φ in the admissible region (0 &lt; β &lt; α, 0 &lt; γ &lt; 1 − α). */
    void map(final double[] x)
    {
        int k = 0;
        alpha = bounded(x[k++], MIN_SMOOTHING, MAX_SMOOTHING);
        beta = hasTrend ? alpha * bounded(x[k++], MIN_SMOOTHING, MAX_SMOOTHING) : 0.0;
        gamma = spec.seasonal() ? (1.0 - alpha) * bounded(x[k++], MIN_SMOOTHING, MAX_SMOOTHING) : 0.0;
        phi = spec.trend() == Trend.DAMPED ? bounded(x[k], MIN_PHI, MAX_PHI) : 1.0;
    }

    @Override
    public double value(final double[] x)
    {
        map(x);
        final double s = concentratedSse();
        return n * Math.log(Math.max(s, sseFloor) / n);
    }

    /** SSE at the current α, β, γ, φ with the initial level (and trend) profiled out. */
    double concentratedSse()
    {
        final double a = alpha;
        final double b = beta;
        final double g = gamma;
        final double f = phi;
        final double[] y = z;
        final double[] s = ring;
        final double[] sL = ringLevel;
        final double[] sB = ringTrend;
        System.arraycopy(seasonal0, 0, s, 0, m);
        java.util.Arrays.fill(sL, 0.0);
        java.util.Arrays.fill(sB, 0.0);
        double l = level0;
        double t = trend0;
        double lL = 1.0;
        double tL = 0.0;
        double lB = 0.0;
        double tB = 1.0;
        double see = 0.0;
        double se1 = 0.0;
        double se2 = 0.0;
        double s11 = 0.0;
        double s12 = 0.0;
        double s22 = 0.0;
        int idx = 0;
        for (int i = 0; i < n; i++)
        {
            final double d = f * t;
            final double e = y[i] - (l + d + s[idx]);
            l = l + d + a * e;
            t = d + b * e;
            s[idx] += g * e;

            final double dL = f * tL;
            final double eL = -(lL + dL + sL[idx]);
            lL = lL + dL + a * eL;
            tL = dL + b * eL;
            sL[idx] += g * eL;

            see += e * e;
            se1 += e * eL;
            s11 += eL * eL;
            if (hasTrend)
            {
                final double dB = f * tB;
                final double eB = -(lB + dB + sB[idx]);
                lB = lB + dB + a * eB;
                tB = dB + b * eB;
                sB[idx] += g * eB;
                se2 += e * eB;
                s12 += eL * eB;
                s22 += eB * eB;
            }
            idx = idx + 1 == m ? 0 : idx + 1;
        }
        deltaLevel = 0.0;
        deltaTrend = 0.0;
        double result = see;
        if (hasTrend)
        {
            final double ridge = 1e-12 * (s11 + s22);
            final double m11 = s11 + ridge;
            final double m22 = s22 + ridge;
            final double det = m11 * m22 - s12 * s12;
            if (det > 0.0 && Double.isFinite(det))
            {
                deltaLevel = -(m22 * se1 - s12 * se2) / det;
                deltaTrend = -(m11 * se2 - s12 * se1) / det;
                result = see + deltaLevel * se1 + deltaTrend * se2;
            }
        }
        else if (s11 > 0.0 && Double.isFinite(s11))
        {
            deltaLevel = -se1 / s11;
            result = see + deltaLevel * se1;
        }
        if (!Double.isFinite(result))
        {
            deltaLevel = 0.0;
            deltaTrend = 0.0;
            result = Double.isFinite(see) ? see : Double.MAX_VALUE;
        }
        sse = Math.max(0.0, result);
        return sse;
    }

    /**
     * Re-estimates every initial state (level, trend, m − 1 free seasonal states; the seasonal states
     * keep summing to what they summed to, since a constant moved between level and season leaves the
     * errors unchanged) by least squares at the current α, β, γ, φ. The errors are affine in the
     * initial state, so this is exact: one filter pass per free state gives a column of the design
     * matrix, then (p×p) normal equations solved by Cholesky.
     *
     * @return the SSE after the update.
     */
    double polishInitialStates()
    {
        final int p = 1 + (hasTrend ? 1 : 0) + (spec.seasonal() ? m - 1 : 0);
        final double[] base = new double[n];
        respond(level0, trend0, seasonal0, -1, true, base);
        final double[][] columns = new double[p][n];
        respond(1.0, 0.0, null, -1, false, columns[0]);
        int next = 1;
        if (hasTrend)
        {
            respond(0.0, 1.0, null, -1, false, columns[next++]);
        }
        if (spec.seasonal())
        {
            for (int j = 0; j < m - 1; j++)
            {
                respond(0.0, 0.0, null, j, false, columns[next++]);
            }
        }
        final double[][] normal = new double[p][p];
        final double[] rhs = new double[p];
        double trace = 0.0;
        for (int a = 0; a < p; a++)
        {
            final double[] ca = columns[a];
            for (int b = 0; b <= a; b++)
            {
                final double[] cb = columns[b];
                double dot = 0.0;
                for (int t = 0; t < n; t++)
                {
                    dot += ca[t] * cb[t];
                }
                normal[a][b] = dot;
            }
            double dot = 0.0;
            for (int t = 0; t < n; t++)
            {
                dot += ca[t] * base[t];
            }
            rhs[a] = -dot;
            trace += normal[a][a];
        }
        if (!(trace > 0.0) || !Double.isFinite(trace))
        {
            return concentratedSse();
        }
        final double ridge = 1e-10 * trace / p;
        for (int a = 0; a < p; a++)
        {
            normal[a][a] += ridge;
        }
        if (!Cholesky.solveInPlace(normal, rhs, p))
        {
            return concentratedSse();
        }
        level0 += rhs[0];
        int k = 1;
        if (hasTrend)
        {
            trend0 += rhs[k++];
        }
        if (spec.seasonal())
        {
            for (int j = 0; j < m - 1; j++)
            {
                seasonal0[j] += rhs[k];
                seasonal0[m - 1] -= rhs[k];
                k++;
            }
        }
        return concentratedSse();
    }

    /**
     * One filter pass at the current parameters from the given initial state, writing the one-step
     * errors. With {@code data} false the input is zero, which gives the response of the errors to a
     * unit initial state; {@code seasonalUnit} j ≥ 0 starts with +1 at ring slot j and −1 at slot m − 1.
     */
    private void respond(final double l0, final double b0, final double[] s0, final int seasonalUnit,
        final boolean data, final double[] errors)
    {
        final double[] s = ring;
        if (s0 != null)
        {
            System.arraycopy(s0, 0, s, 0, m);
        }
        else
        {
            java.util.Arrays.fill(s, 0.0);
            if (seasonalUnit >= 0)
            {
                s[seasonalUnit] = 1.0;
                s[m - 1] = -1.0;
            }
        }
        double l = l0;
        double t = b0;
        int idx = 0;
        for (int i = 0; i < n; i++)
        {
            final double d = phi * t;
            final double e = (data ? z[i] : 0.0) - (l + d + s[idx]);
            l = l + d + alpha * e;
            t = d + beta * e;
            s[idx] += gamma * e;
            errors[i] = e;
            idx = idx + 1 == m ? 0 : idx + 1;
        }
    }

    double level0()
    {
        return level0 + deltaLevel;
    }

    double[] seasonal0()
    {
        return seasonal0;
    }

    double trend0()
    {
        return hasTrend ? trend0 + deltaTrend : 0.0;
    }

    private static double bounded(final double x, final double lo, final double hi)
    {
        return lo + (hi - lo) / (1.0 + Math.exp(-x));
    }

    private static double logit(final double p)
    {
        return Math.log(p / (1.0 - p));
    }
}
