package io.presync.forecast;

/** Dense symmetric positive-definite solve for the small normal equations of the fitter. */
final class Cholesky
{
    private Cholesky()
    {
    }

    /**
     * Solves A x = b in place: {@code a} holds A in its lower triangle (overwritten by the factor),
     * {@code b} becomes x.
     *
     * @return false when A is not numerically positive definite (a and b are then undefined).
     */
    static boolean solveInPlace(final double[][] a, final double[] b, final int n)
    {
        for (int j = 0; j < n; j++)
        {
            final double[] aj = a[j];
            double d = aj[j];
            for (int k = 0; k < j; k++)
            {
                d -= aj[k] * aj[k];
            }
            if (!(d > 0.0) || !Double.isFinite(d))
            {
                return false;
            }
            final double root = Math.sqrt(d);
            aj[j] = root;
            for (int i = j + 1; i < n; i++)
            {
                final double[] ai = a[i];
                double s = ai[j];
                for (int k = 0; k < j; k++)
                {
                    s -= ai[k] * aj[k];
                }
                ai[j] = s / root;
            }
        }
        for (int i = 0; i < n; i++)
        {
            double s = b[i];
            for (int k = 0; k < i; k++)
            {
                s -= a[i][k] * b[k];
            }
            b[i] = s / a[i][i];
        }
        for (int i = n - 1; i >= 0; i--)
        {
            double s = b[i];
            for (int k = i + 1; k < n; k++)
            {
                s -= a[k][i] * b[k];
            }
            b[i] = s / a[i][i];
        }
        return true;
    }
}
