package io.presync.replicate;

import io.presync.forecast.EtsFitter;
import io.presync.forecast.FittedModel;
import io.presync.forecast.Transform;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;

import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Back-test of the planner's growth bound on the 40 shared 30-minute CloudPhysics series
 * (write_working_set_bytes, the upper proxy of new bytes History reads), in the setting of
 * {@code scripts/bench replicate --part 3}: each bucket replayed as 1 s, the history scaled to 1 MiB/s of
 * growth on average, a base of 410 MiB and a horizon of 45 s. Rolling origins every 6 buckets from 96 buckets
 * of history on: does the 95% bound cover the growth of the next 45 buckets, and what is the partition's
 * size / used bytes, (base + bound) / (base + growth)? The fine-bucket ETS bound the planner used before
 * (analytic, two-sided 0.95) is measured beside it.
 */
class GrowthCoverageTest
{
    private static final double MIB = 1 << 20;
    private static final double BASE = 410 * MIB;
    private static final int HORIZON = 45;
    private static final int FIRST_ORIGIN = 96;
    private static final int STRIDE = 6;

    @Test
    void the95PercentBoundCoversAbout95PercentOfTheSharedSeriesWindows() throws IOException
    {
        final String traces = System.getProperty("presync.traces");
        final Path folder = traces == null ? null : Path.of(traces, "cloudphysics-30min");
        Assumptions.assumeTrue(folder != null && Files.isDirectory(folder),
            "skipped: no shared series at " + folder + " (set -Dpresync.traces to ../shared/data/traces)");
        final Tally planner = new Tally();
        final Tally fine = new Tally();
        for (int s = 1; s <= 40; s++)
        {
            final double[] raw = column(folder.resolve(String.format(Locale.ROOT, "w%02d.csv", s)), "write_working_set_bytes");
            final int benchOrigin = raw.length - 90;
            for (int cut = FIRST_ORIGIN; cut + HORIZON <= raw.length; cut += STRIDE)
            {
                window(raw, cut, planner, fine, null);
            }
            if (s <= 5)
            {
                window(raw, benchOrigin, null, null, String.format(Locale.ROOT, "w%02d", s));
            }
        }
        System.out.println("growth bound back-test, " + planner.count + " windows of " + HORIZON + " buckets:");
        System.out.println("  planner (HorizonForecast, one-sided 95%): " + planner);
        System.out.println("  before  (fine-bucket ETS, two-sided 95%): " + fine);
        assertTrue(planner.coverage() >= 0.90, "coverage " + planner);
        assertTrue(planner.coverageLong() >= 0.93, "coverage with >= 240 buckets of history " + planner);
        assertTrue(planner.meanBound() < fine.meanBound(), planner + " vs " + fine);
        assertTrue(planner.goalMet() > fine.goalMet(), planner + " vs " + fine);
    }

    private static void window(final double[] raw, final int cut, final Tally planner, final Tally fine, final String name)
    {
        double mean = 0;
        for (int i = 0; i < cut; i++)
        {
            mean += raw[i];
        }
        mean /= cut;
        if (!(mean > 0))
        {
            return;
        }
        final double scale = MIB / mean;
        final double[] y = new double[cut];
        for (int i = 0; i < cut; i++)
        {
            y[i] = raw[i] * scale;
        }
        double growth = 0;
        for (int i = cut; i < cut + HORIZON; i++)
        {
            growth += raw[i] * scale;
        }
        final Planner.Growth g = Planner.Growth.of(y, 1.0, 0.95, (long)BASE, 1 << 20);
        g.evaluate(HORIZON);
        if (name != null)
        {
            System.out.printf(Locale.ROOT, "  bench origin %s: growth %.1f MiB, bound %.1f MiB (mean %.1f, %s), size / used %.3f%n",
                name, growth / MIB, g.upper / MIB, g.mean / MIB, g.name(), (BASE + g.upper) / (BASE + growth));
            return;
        }
        planner.add(growth, g.upper, cut);
        final FittedModel model = EtsFitter.fitAuto(y, 0, cut, period(y), Transform.NONE);
        fine.add(growth, model.forecastSum(HORIZON, 0.95).upper(), cut);
    }

    private static int period(final double[] y)
    {
        final int p = EtsFitter.detectPeriod(y, 0, y.length, new int[] {24, 48, 168});
        return p > 1 && y.length < 2 * p ? 1 : p;
    }

    private static double[] column(final Path file, final String name) throws IOException
    {
        final List<String> lines = Files.readAllLines(file);
        final int column = Arrays.asList(lines.get(0).split(",")).indexOf(name);
        final double[] y = new double[lines.size() - 1];
        for (int i = 1; i < lines.size(); i++)
        {
            y[i - 1] = Double.parseDouble(lines.get(i).split(",")[column]);
        }
        return y;
    }

    private static final class Tally
    {
        int count;
        int covered;
        int longCount;
        int longCovered;
        int goal;
        double boundOverMean;
        double[] ratios = new double[64];

        void add(final double growth, final double bound, final int history)
        {
            final boolean c = growth <= bound;
            final double ratio = c ? (BASE + bound) / (BASE + growth) : Double.POSITIVE_INFINITY;
            if (count == ratios.length)
            {
                ratios = Arrays.copyOf(ratios, 2 * count);
            }
            ratios[count++] = ratio;
            covered += c ? 1 : 0;
            goal += ratio <= 1.10 ? 1 : 0;
            if (history >= 240)
            {
                longCount++;
                longCovered += c ? 1 : 0;
            }
            // The bound in units of the history's mean growth over the horizon (1 MiB a bucket), capped against absurd ones.
            boundOverMean += Math.min(100, bound / (HORIZON * MIB));
        }

        double coverage()
        {
            return (double)covered / count;
        }

        double coverageLong()
        {
            return (double)longCovered / longCount;
        }

        double meanBound()
        {
            return boundOverMean / count;
        }

        double goalMet()
        {
            return (double)goal / count;
        }

        @Override
        public String toString()
        {
            final double[] r = Arrays.copyOf(ratios, count);
            Arrays.sort(r);
            return String.format(Locale.ROOT,
                "coverage %.3f (%d of %d; %.3f of %d with >= 240 buckets of history), size / used <= 1.10 and covered %.3f, " +
                    "size / used median %.3f p75 %.3f, mean bound %.2f x the mean growth",
                coverage(), covered, count, coverageLong(), longCount, goalMet(), r[count / 2], r[3 * count / 4], meanBound());
        }
    }
}
