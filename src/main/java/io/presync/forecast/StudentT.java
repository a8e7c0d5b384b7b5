package io.presync.forecast;

/**
 * Student's t distribution: the quantile a prediction interval needs when its spread is estimated from
 * few observations (the classic interval for a new value, mean ± t·s·√(1 + 1/n), rather than ± z·σ).
 */
final class StudentT
{
    private static final double[] LANCZOS = {
        676.5203681218851, -1259.1392167224028, 771.32342877765313, -176.61502916214059,
        12.507343278686905, -0.13857109526572012, 9.9843695780195716e-6, 1.5056327351493116e-7};

    /** Above this many degrees of freedom the t quantile differs from the normal one by less than 1e-4 relative. */
    static final double NORMAL_DEGREES = 1e6;

    private StudentT()
    {
    }

    /**
     * The p-quantile of t with {@code degrees} degrees of freedom (real, ≥ 1e-3), by bisection of {@link #cdf}
     * between bounds that bracket it: accurate to about 1e-12, O(100) cdf evaluations.
     *
     * @param p probability in (0, 1).
     */
    static double quantile(final double p, final double degrees)
    {
        if (!(p > 0.0 && p < 1.0))
        {
            throw new IllegalArgumentException("probability must be in (0, 1), got " + p);
        }
        if (!(degrees > 1e-3))
        {
            throw new IllegalArgumentException("degrees of freedom must be > 0.001, got " + degrees);
        }
        if (degrees >= NORMAL_DEGREES)
        {
            return Normal.inverseCdf(p);
        }
        if (p == 0.5)
        {
            return 0.0;
        }
        // Symmetric: solve for the upper tail and flip the sign for p < 1/2.
        final double upper = Math.max(p, 1.0 - p);
        double lo = 0.0;
        double hi = 1.0;
        while (cdf(hi, degrees) < upper)
        {
            lo = hi;
            hi *= 2.0;
            if (hi > 1e300)
            {
                break;
            }
        }
        for (int i = 0; i < 200 && hi - lo > 1e-13 * hi; i++)
        {
            final double mid = 0.5 * (lo + hi);
            if (cdf(mid, degrees) < upper)
            {
                lo = mid;
            }
            else
            {
                hi = mid;
            }
        }
        final double t = 0.5 * (lo + hi);
        return p > 0.5 ? t : -t;
    }

    /** P(T ≤ t) = 1 − I_{ν/(ν+t²)}(ν/2, 1/2) / 2 for t ≥ 0, by symmetry below. */
    static double cdf(final double t, final double degrees)
    {
        if (Double.isInfinite(t))
        {
            return t > 0 ? 1.0 : 0.0;
        }
        final double tail = 0.5 * regularizedBeta(degrees / (degrees + t * t), 0.5 * degrees, 0.5);
        return t > 0 ? 1.0 - tail : tail;
    }

    /** I_x(a, b), the regularized incomplete beta function, by its continued fraction (modified Lentz). */
    static double regularizedBeta(final double x, final double a, final double b)
    {
        if (x <= 0.0)
        {
            return 0.0;
        }
        if (x >= 1.0)
        {
            return 1.0;
        }
        final double front = Math.exp(logGamma(a + b) - logGamma(a) - logGamma(b) + a * Math.log(x) + b * Math.log1p(-x));
        // The fraction converges fast for x below the mean (a+1)/(a+b+2); above it use I_x(a,b) = 1 − I_{1−x}(b,a).
        if (x < (a + 1.0) / (a + b + 2.0))
        {
            return front * betaFraction(x, a, b) / a;
        }
        return 1.0 - front * betaFraction(1.0 - x, b, a) / b;
    }

    private static double betaFraction(final double x, final double a, final double b)
    {
        final double tiny = 1e-300;
        double c = 1.0;
        double d = 1.0 - (a + b) * x / (a + 1.0);
        d = 1.0 / (Math.abs(d) < tiny ? tiny : d);
        double f = d;
        for (int m = 1; m <= 500; m++)
        {
            // Even term d_{2m} = m(b−m)x / ((a+2m−1)(a+2m)), odd term d_{2m+1} = −(a+m)(a+b+m)x / ((a+2m)(a+2m+1)).
            final double even = m * (b - m) * x / ((a + 2 * m - 1.0) * (a + 2 * m));
            d = 1.0 + even * d;
            d = 1.0 / (Math.abs(d) < tiny ? tiny : d);
            c = 1.0 + even / c;
            c = Math.abs(c) < tiny ? tiny : c;
            f *= d * c;
            final double odd = -(a + m) * (a + b + m) * x / ((a + 2 * m) * (a + 2 * m + 1.0));
            d = 1.0 + odd * d;
            d = 1.0 / (Math.abs(d) < tiny ? tiny : d);
            c = 1.0 + odd / c;
            c = Math.abs(c) < tiny ? tiny : c;
            final double delta = d * c;
            f *= delta;
            if (Math.abs(delta - 1.0) < 1e-15)
            {
                break;
            }
        }
        return f;
    }

    /** ln Γ(x) for x > 0, Lanczos approximation (g = 7, 9 terms), about 1e-15 relative. */
    static double logGamma(final double x)
    {
        if (x < 0.5)
        {
            // Reflection: Γ(x)Γ(1−x) = π / sin(πx).
            return Math.log(Math.PI / Math.abs(Math.sin(Math.PI * x))) - logGamma(1.0 - x);
        }
        final double z = x - 1.0;
        double sum = 0.99999999999980993;
        for (int i = 0; i < LANCZOS.length; i++)
        {
            sum += LANCZOS[i] / (z + i + 1.0);
        }
        final double t = z + LANCZOS.length - 0.5;
        return 0.5 * Math.log(2.0 * Math.PI) + (z + 0.5) * Math.log(t) - t + Math.log(sum);
    }
}
