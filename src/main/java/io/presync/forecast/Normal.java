package io.presync.forecast;

/**
 * Standard normal distribution functions needed for prediction intervals.
 */
final class Normal
{
    private Normal()
    {
    }

    /**
     * Inverse of the standard normal CDF, Wichura's algorithm AS 241 (PPND16, Applied Statistics 37,
     * 1988), accurate to about 1e-16 relative over (0, 1).
     *
     * @param p probability in (0, 1).
     * @return x with Φ(x) = p; ±infinity at 0 and 1.
     */
    static double inverseCdf(final double p)
    {
        if (!(p >= 0.0 && p <= 1.0))
        {
            throw new IllegalArgumentException("probability must be in [0, 1], got " + p);
        }
        if (p == 0.0)
        {
            return Double.NEGATIVE_INFINITY;
        }
        if (p == 1.0)
        {
            return Double.POSITIVE_INFINITY;
        }
        final double q = p - 0.5;
        if (Math.abs(q) <= 0.425)
        {
            final double r = 0.180625 - q * q;
            final double num = (((((((2.5090809287301226727e+3 * r
                + 3.3430575583588128105e+4) * r
                + 6.7265770927008700853e+4) * r
                + 4.5921953931549871457e+4) * r
                + 1.3731693765509461125e+4) * r
                + 1.9715909503065514427e+3) * r
                + 1.3314166789178437745e+2) * r
                + 3.3871328727963666080e+0) * q;
            final double den = ((((((5.2264952788528545610e+3 * r
                + 2.8729085735721942674e+4) * r
                + 3.9307895800092710610e+4) * r
                + 2.1213794301586595867e+4) * r
                + 5.3941960214247511077e+3) * r
                + 6.8718700749205790830e+2) * r
                + 4.2313330701600911252e+1) * r
                + 1.0;
            return num / den;
        }
        double r = q <= 0.0 ? p : 1.0 - p;
        r = Math.sqrt(-Math.log(r));
        final double num;
        final double den;
        if (r <= 5.0)
        {
            r -= 1.6;
            num = ((((((7.74545014278341407640e-4 * r
                + 2.27238449892691845833e-2) * r
                + 2.41780725177450611770e-1) * r
                + 1.27045825245236838258e+0) * r
                + 3.64784832476320460504e+0) * r
                + 5.76949722146069140550e+0) * r
                + 4.63033784615654529590e+0) * r
                + 1.42343711074968357734e+0;
            den = ((((((1.05075007164441684324e-9 * r
                + 5.47593808499534494600e-4) * r
                + 1.51986665636164571966e-2) * r
                + 1.48103976427480074590e-1) * r
                + 6.89767334985100004550e-1) * r
                + 1.67638483018380384940e+0) * r
                + 2.05319162663775882187e+0) * r
                + 1.0;
        }
        else
        {
            r -= 5.0;
            num = ((((((2.01033439929228813265e-7 * r
                + 2.71155556874348757815e-5) * r
                + 1.24266094738807843860e-3) * r
                + 2.65321895265761230930e-2) * r
                + 2.96560571828504891230e-1) * r
                + 1.78482653991729133580e+0) * r
                + 5.46378491116411436990e+0) * r
                + 6.65790464350110377720e+0;
            den = ((((((2.04426310338993978564e-15 * r
                + 1.42151175831644588870e-7) * r
                + 1.84631831751005468180e-5) * r
                + 7.86869131145613259100e-4) * r
                + 1.48753612908506148525e-2) * r
                + 1.36929880922735805310e-1) * r
                + 5.99832206555887937690e-1) * r
                + 1.0;
        }
        final double x = num / den;
        return q < 0.0 ? -x : x;
    }

    /** Standard normal CDF through {@link #erfc(double)}; absolute error below 1e-7, enough for means of clamped lognormals. */
    static double cdf(final double x)
    {
        return 0.5 * erfc(-x / Math.sqrt(2.0));
    }

    /** Complementary error function, Numerical Recipes' erfcc Chebyshev fit, relative error below 1.2e-7. */
    static double erfc(final double x)
    {
        final double z = Math.abs(x);
        final double t = 1.0 / (1.0 + 0.5 * z);
        final double ans = t * Math.exp(-z * z - 1.26551223 + t * (1.00002368 + t * (0.37409196 + t * (0.09678418
            + t * (-0.18628806 + t * (0.27886807 + t * (-1.13520398 + t * (1.48851587
            + t * (-0.82215223 + t * 0.17087277)))))))));
        return x >= 0.0 ? ans : 2.0 - ans;
    }

    /**
     * log Q(x) = log(1 − Φ(x)), accurate in the far upper tail: erfc's approximation is
     * t·exp(−z² + poly(t)), so its logarithm is taken term by term instead of underflowing.
     */
    static double logUpperTail(final double x)
    {
        if (x == Double.POSITIVE_INFINITY)
        {
            return Double.NEGATIVE_INFINITY;
        }
        if (x == Double.NEGATIVE_INFINITY)
        {
            return 0.0;
        }
        if (x < 0.0)
        {
            return Math.log1p(-Math.exp(logUpperTail(-x)));
        }
        final double z = x / Math.sqrt(2.0);
        final double t = 1.0 / (1.0 + 0.5 * z);
        return Math.log(0.5) + Math.log(t) - z * z - 1.26551223 + t * (1.00002368 + t * (0.37409196 + t * (0.09678418
            + t * (-0.18628806 + t * (0.27886807 + t * (-1.13520398 + t * (1.48851587
            + t * (-0.82215223 + t * 0.17087277))))))));
    }

    /** log P(a &lt; N(0,1) &lt; b) for a ≤ b, keeping relative accuracy when both lie in one tail. */
    static double logProbabilityBetween(final double a, final double b)
    {
        if (!(a < b))
        {
            return Double.NEGATIVE_INFINITY;
        }
        if (a >= 0.0)
        {
            final double qa = logUpperTail(a);
            return qa + Math.log1p(-Math.exp(logUpperTail(b) - qa));
        }
        if (b <= 0.0)
        {
            final double pb = logUpperTail(-b);
            return pb + Math.log1p(-Math.exp(logUpperTail(-a) - pb));
        }
        return Math.log1p(-(Math.exp(logUpperTail(b)) + Math.exp(logUpperTail(-a))));
    }
}
