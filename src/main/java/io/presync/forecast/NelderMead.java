package io.presync.forecast;

/**
 * Nelder–Mead simplex minimiser for a handful of unconstrained variables (the fitter maps the
 * bounded ETS parameters through logistic functions first). Standard coefficients (reflection 1,
 * expansion 2, contraction ½, shrink ½); all arrays are allocated once per minimiser.
 */
final class NelderMead
{
    /** A function to minimise; must not keep the argument array. */
    interface Objective
    {
        double value(double[] x);
    }

    private final int dimensions;
    private final double[][] simplex;
    private final double[] values;
    private final double[] centroid;
    private final double[] trial;
    private final double[] trial2;
    private int evaluations;

    NelderMead(final int dimensions)
    {
        this.dimensions = dimensions;
        this.simplex = new double[dimensions + 1][dimensions];
        this.values = new double[dimensions + 1];
        this.centroid = new double[dimensions];
        this.trial = new double[dimensions];
        this.trial2 = new double[dimensions];
    }

    int evaluations()
    {
        return evaluations;
    }

    /**
     * Minimises from {@code x} (overwritten with the best point found) with an initial simplex of
     * axis steps {@code step}; stops when the values across the simplex differ by less than
     * {@code tolerance} (absolute) or after {@code maxEvaluations}.
     *
     * @return the best value.
     */
    double minimise(final Objective f, final double[] x, final double step, final double tolerance, final int maxEvaluations)
    {
        final int n = dimensions;
        evaluations = 0;
        for (int i = 0; i <= n; i++)
        {
            System.arraycopy(x, 0, simplex[i], 0, n);
            if (i > 0)
            {
                simplex[i][i - 1] += step;
            }
            values[i] = evaluate(f, simplex[i]);
        }
        while (evaluations < maxEvaluations)
        {
            sort();
            if (values[n] - values[0] <= tolerance)
            {
                break;
            }
            for (int j = 0; j < n; j++)
            {
                double sum = 0.0;
                for (int i = 0; i < n; i++)
                {
                    sum += simplex[i][j];
                }
                centroid[j] = sum / n;
            }
            final double[] worst = simplex[n];
            for (int j = 0; j < n; j++)
            {
                trial[j] = centroid[j] + (centroid[j] - worst[j]);
            }
            final double reflected = evaluate(f, trial);
            if (reflected < values[0])
            {
                for (int j = 0; j < n; j++)
                {
                    trial2[j] = centroid[j] + 2.0 * (centroid[j] - worst[j]);
                }
                final double expanded = evaluate(f, trial2);
                if (expanded < reflected)
                {
                    accept(trial2, expanded);
                }
                else
                {
                    accept(trial, reflected);
                }
            }
            else if (reflected < values[n - 1])
            {
                accept(trial, reflected);
            }
            else
            {
                final boolean outside = reflected < values[n];
                for (int j = 0; j < n; j++)
                {
                    trial2[j] = outside ?
                        centroid[j] + 0.5 * (trial[j] - centroid[j]) :
                        centroid[j] + 0.5 * (worst[j] - centroid[j]);
                }
                final double contracted = evaluate(f, trial2);
                if (contracted < Math.min(reflected, values[n]))
                {
                    accept(trial2, contracted);
                }
                else
                {
                    for (int i = 1; i <= n; i++)
                    {
                        for (int j = 0; j < n; j++)
                        {
                            simplex[i][j] = simplex[0][j] + 0.5 * (simplex[i][j] - simplex[0][j]);
                        }
                        values[i] = evaluate(f, simplex[i]);
                    }
                }
            }
        }
        sort();
        System.arraycopy(simplex[0], 0, x, 0, n);
        return values[0];
    }

    private double evaluate(final Objective f, final double[] x)
    {
        evaluations++;
        final double v = f.value(x);
        return Double.isNaN(v) ? Double.POSITIVE_INFINITY : v;
    }

    private void accept(final double[] point, final double value)
    {
        System.arraycopy(point, 0, simplex[dimensions], 0, dimensions);
        values[dimensions] = value;
    }

    /** Insertion sort of the vertices by value; n ≤ 5. */
    private void sort()
    {
        for (int i = 1; i <= dimensions; i++)
        {
            final double v = values[i];
            final double[] p = simplex[i];
            int k = i - 1;
            while (k >= 0 && values[k] > v)
            {
                values[k + 1] = values[k];
                simplex[k + 1] = simplex[k];
                k--;
            }
            values[k + 1] = v;
            simplex[k + 1] = p;
        }
    }
}
