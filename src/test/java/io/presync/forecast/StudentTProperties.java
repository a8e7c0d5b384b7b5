package io.presync.forecast;

import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.DoubleRange;
import net.jqwik.api.constraints.Scale;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** StudentT against scipy.stats.t.ppf and the distribution's own identities. */
class StudentTProperties
{
    /** {degrees, p, scipy.stats.t.ppf(p, degrees)} (scipy 1.17.1). */
    private static final double[][] SCIPY = {
        {1, 0.9, 3.0776835371752544}, {1, 0.95, 6.313751514675037}, {1, 0.975, 12.706204736174694}, {1, 0.99, 31.820515953773935},
        {2, 0.95, 2.9199855803537242}, {2, 0.99, 6.9645567342832715},
        {3, 0.9, 1.637744353696209}, {3, 0.975, 3.1824463052837078},
        {4.5, 0.95, 2.065575888878524}, {4.5, 0.99, 3.527050890626092},
        {8, 0.9, 1.3968153097438654}, {8, 0.95, 1.8595480375308973},
        {30, 0.95, 1.697260886593957}, {30, 0.975, 2.0422724563012378},
        {200, 0.95, 1.6525081009108769}, {200, 0.99, 2.345137082259468},
    };

    @Test
    void quantilesMatchScipy()
    {
        for (final double[] row : SCIPY)
        {
            assertEquals(row[2], StudentT.quantile(row[1], row[0]), 1e-9 * row[2], "t(" + row[0] + ") at " + row[1]);
            assertEquals(-row[2], StudentT.quantile(1 - row[1], row[0]), 1e-9 * row[2], "t(" + row[0] + ") at " + (1 - row[1]));
        }
        assertEquals(0.0, StudentT.quantile(0.5, 3.0), 0.0);
        assertEquals(Normal.inverseCdf(0.95), StudentT.quantile(0.95, 1e7), 1e-12);
    }

    @Property(tries = 200)
    void theCdfInvertsTheQuantile(
        @ForAll @Scale(4) @DoubleRange(min = 0.001, max = 0.999) final double p,
        @ForAll @Scale(4) @DoubleRange(min = 0.5, max = 5000) final double degrees)
    {
        final double t = StudentT.quantile(p, degrees);
        assertEquals(p, StudentT.cdf(t, degrees), 1e-9, "t = " + t);
    }

    @Property(tries = 200)
    void fewerDegreesGiveAWiderUpperQuantileThatShrinksTowardsTheNormal(
        @ForAll @Scale(4) @DoubleRange(min = 0.5, max = 0.999) final double p,
        @ForAll @Scale(4) @DoubleRange(min = 1, max = 1000) final double degrees,
        @ForAll @Scale(4) @DoubleRange(min = 0.01, max = 0.49) final double higher)
    {
        final double t = StudentT.quantile(p, degrees);
        assertTrue(StudentT.quantile(p, 2 * degrees) <= t + 1e-12, "more degrees, not wider");
        assertTrue(t >= Normal.inverseCdf(p) - 1e-9, "never narrower than the normal");
        assertTrue(StudentT.quantile(Math.min(0.9999, p + higher * (1 - p)), degrees) >= t, "increasing in p");
    }
}
