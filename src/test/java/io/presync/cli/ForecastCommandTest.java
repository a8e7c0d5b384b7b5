package io.presync.cli;

import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** {@code presync forecast} run in-process through {@link Main#execute}. */
class ForecastCommandTest
{
    private static final int PERIOD = 8;
    private static final int ROWS = 80;

    @TempDir
    Path dir;

    record Run(int code, String out, String err) {}

    static Run run(final String... args)
    {
        final StringWriter out = new StringWriter();
        final StringWriter err = new StringWriter();
        final int code = Main.execute(args, new PrintWriter(out), new PrintWriter(err));
        return new Run(code, out.toString(), err.toString());
    }

    /** A daily-like pattern of period 8 with a slow trend and deterministic noise. */
    static double[] series(final int rows)
    {
        final double[] y = new double[rows];
        long seed = 42;
        for (int t = 0; t < rows; t++)
        {
            seed = seed * 6364136223846793005L + 1442695040888963407L;
            final double noise = ((seed >>> 11) * 0x1.0p-53 - 0.5) * 20;
            y[t] = Math.round(1000 + 2 * t + 300 * Math.sin(2 * Math.PI * t / PERIOD) + noise);
        }
        return y;
    }

    Path fixture(final String name, final String header, final double[] y) throws IOException
    {
        final StringBuilder b = new StringBuilder(header).append('\n');
        for (int t = 0; t < y.length; t++)
        {
            b.append(1_800_000_000L * (t + 1)).append(',').append((long)y[t]).append(',').append(t % 3).append('\n');
        }
        final Path file = dir.resolve(name);
        Files.writeString(file, b.toString());
        return file;
    }

    Path standardFixture() throws IOException
    {
        return fixture("series.csv", "ts_us,write_bytes,write_requests", series(ROWS));
    }

    static List<String> lines(final String text)
    {
        final List<String> lines = new ArrayList<>();
        for (final String line : text.split("\n"))
        {
            if (!line.isBlank())
            {
                lines.add(line.strip());
            }
        }
        return lines;
    }

    /** Splits a CSV row whose last cell is a quoted model name containing commas. */
    static String[] row(final String line)
    {
        final int quote = line.indexOf('"');
        final String[] numbers = line.substring(0, quote - 1).split(",");
        final String[] cells = Arrays.copyOf(numbers, numbers.length + 1);
        cells[numbers.length] = line.substring(quote + 1, line.length() - 1);
        return cells;
    }

    static void assertRefused(final Run run, final String... fragments)
    {
        assertEquals(Main.EXIT_USAGE, run.code, run.err);
        assertTrue(run.err.startsWith("presync: "), run.err);
        assertEquals(1, lines(run.err).size(), "one sentence, no stack trace: " + run.err);
        for (final String fragment : fragments)
        {
            assertTrue(run.err.contains(fragment), "expected '" + fragment + "' in: " + run.err);
        }
    }

    @Test
    void forecastPrintsHeaderAndOneRowInCsv() throws IOException
    {
        final Path file = standardFixture();
        final Run run = run("forecast", "--input", file.toString(), "--column", "write_bytes", "--period", "8",
            "--horizon", "4", "--confidence", "0.9");
        assertEquals(Main.EXIT_OK, run.code, run.err);
        final List<String> lines = lines(run.out);
        assertEquals(2, lines.size(), run.out);
        assertEquals("horizon,mean,lower,upper,confidence,sigma,model", lines.get(0));
        final String[] cells = row(lines.get(1));
        assertEquals(7, cells.length, lines.get(1));
        assertEquals("4", cells[0]);
        final double mean = Double.parseDouble(cells[1]);
        final double lower = Double.parseDouble(cells[2]);
        final double upper = Double.parseDouble(cells[3]);
        assertEquals(0.9, Double.parseDouble(cells[4]));
        assertTrue(Double.parseDouble(cells[5]) >= 0);
        assertTrue(lower <= mean && mean <= upper, lines.get(1));
        assertTrue(cells[6].startsWith("ETS("), cells[6]);
        // Four buckets of a series around 1000..1200 per bucket: the sum is in the thousands.
        assertTrue(mean > 2000 && mean < 8000, "mean " + mean);
    }

    @Test
    void forecastPrintsOneObjectInJson() throws IOException
    {
        final Path file = standardFixture();
        final Run run = run("forecast", "--input", file.toString(), "--column", "write_bytes", "--period", "8",
            "--horizon", "3", "--confidence", "0.95", "--format", "json", "--transform", "log1p");
        assertEquals(Main.EXIT_OK, run.code, run.err);
        final String json = run.out.strip();
        assertTrue(json.startsWith("{") && json.endsWith("}"), json);
        for (final String key : new String[] {"horizon", "mean", "lower", "upper", "confidence", "sigma", "model"})
        {
            assertTrue(json.contains("\"" + key + "\": "), key + " in " + json);
        }
        assertTrue(json.contains("\"horizon\": 3"), json);
    }

    @Test
    void backtestPrintsOneRowPerOriginWithTheActualSum() throws IOException
    {
        final double[] y = series(ROWS);
        final Path file = fixture("series.csv", "ts_us,write_bytes,write_requests", y);
        final int horizon = 5;
        final Run run = run("forecast", "--input", file.toString(), "--column", "write_bytes", "--period", "8",
            "--horizon", "" + horizon, "--confidence", "0.95", "--backtest", "--from", "24", "--step", "7", "--window", "40");
        assertEquals(Main.EXIT_OK, run.code, run.err);
        final List<String> lines = lines(run.out);
        assertEquals("origin,actual,predicted,lower,upper,model", lines.get(0));
        final List<Integer> expectedOrigins = new ArrayList<>();
        for (int origin = 24; origin + horizon <= ROWS; origin += 7)
        {
            expectedOrigins.add(origin);
        }
        assertEquals(expectedOrigins.size() + 1, lines.size(), run.out);
        for (int i = 0; i < expectedOrigins.size(); i++)
        {
            final String[] cells = row(lines.get(i + 1));
            assertEquals(6, cells.length, lines.get(i + 1));
            final int origin = Integer.parseInt(cells[0]);
            assertEquals(expectedOrigins.get(i), origin);
            double actual = 0;
            for (int t = origin; t < origin + horizon; t++)
            {
                actual += y[t];
            }
            assertEquals(actual, Double.parseDouble(cells[1]));
            final double lower = Double.parseDouble(cells[3]);
            final double upper = Double.parseDouble(cells[4]);
            assertTrue(lower <= Double.parseDouble(cells[2]) && Double.parseDouble(cells[2]) <= upper, lines.get(i + 1));
        }
    }

    @Test
    void backtestPrintsAnArrayOfObjectsInJson() throws IOException
    {
        final Path file = standardFixture();
        final Run run = run("forecast", "--input", file.toString(), "--column", "write_bytes", "--period", "8",
            "--horizon", "4", "--confidence", "0.9", "--backtest", "--from", "19", "--step", "16", "--format", "json");
        assertEquals(Main.EXIT_OK, run.code, run.err);
        final String json = run.out.strip();
        assertTrue(json.startsWith("[") && json.endsWith("]"), json);
        final Matcher m = Pattern.compile("\\{\"origin\": (\\d+), \"actual\": [-0-9.E]+, \"predicted\": [-0-9.E]+, " +
            "\"lower\": [-0-9.E]+, \"upper\": [-0-9.E]+, \"model\": \"ETS\\([^\"]+\\)(\\+SNAIVE)?\"}").matcher(json);
        final List<Integer> origins = new ArrayList<>();
        while (m.find())
        {
            origins.add(Integer.parseInt(m.group(1)));
        }
        assertEquals(List.of(19, 35, 51, 67), origins, json);
    }

    @Test
    void periodAutoDetectsOrFallsBackAndStillForecasts() throws IOException
    {
        final Path file = standardFixture();
        final Run run = run("forecast", "--input", file.toString(), "--column", "write_bytes", "--period", "auto",
            "--horizon", "4", "--confidence", "0.95");
        assertEquals(Main.EXIT_OK, run.code, run.err);
        assertEquals(2, lines(run.out).size(), run.out);
    }

    @Test
    void modelOptionFitsTheNamedModel() throws IOException
    {
        final Path file = standardFixture();
        for (final String[] modelAndName : new String[][] {{"A,N,N", "ETS(A,N,N)"}, {"ETS(A,Ad,A)", "ETS(A,Ad,A)"}, {"A,A,A", "ETS(A,A,A)"}})
        {
            // The default method combines the named ETS model with seasonal naive; --method ets uses it alone.
            final Run run = run("forecast", "--input", file.toString(), "--period", "8", "--horizon", "4", "--model", modelAndName[0]);
            assertEquals(Main.EXIT_OK, run.code, run.err);
            assertEquals(modelAndName[1] + "+SNAIVE", row(lines(run.out).get(1))[6], run.out);
            final Run ets = run("forecast", "--input", file.toString(), "--period", "8", "--horizon", "4", "--model", modelAndName[0],
                "--method", "ets");
            assertEquals(Main.EXIT_OK, ets.code, ets.err);
            assertEquals(modelAndName[1], row(lines(ets.out).get(1))[6], ets.out);
        }
        assertRefused(run("forecast", "--input", file.toString(), "--period", "8", "--horizon", "4", "--model", "M,N,M"),
            "--model", "'M,N,M'");
        assertRefused(run("forecast", "--input", file.toString(), "--period", "1", "--horizon", "4", "--model", "A,N,A"),
            "--model", "seasonal");
    }

    @Test
    void methodOptionChoosesCombinedOrEts() throws IOException
    {
        final Path file = standardFixture();
        final double[] y = series(ROWS);
        final double naive = y[ROWS - PERIOD] + y[ROWS - PERIOD + 1] + y[ROWS - PERIOD + 2] + y[ROWS - PERIOD + 3];
        final String[] base = {"forecast", "--input", file.toString(), "--period", "8", "--horizon", "4", "--model", "A,N,N",
            "--confidence", "0.9"};
        final double[] ets = numbers(row(lines(run(concat(base, "--method", "ets")).out).get(1)));
        // 80 rows, period 8, H = 4: 69 in-sample sums, fewer than 20 x 4, so auto (the default) weighs 0.5.
        final String[] combinedRow = row(lines(run(base).out).get(1));
        final double[] combined = numbers(combinedRow);
        assertEquals("ETS(A,N,N)+SNAIVE", combinedRow[6]);
        assertEquals(0.5 * ets[1] + 0.5 * naive, combined[1], 1e-6 * combined[1], "too few sums: equal weights");
        assertEquals(combined[1], numbers(row(lines(run(concat(base, "--ets-weight", "0.5")).out).get(1)))[1], 1e-9 * combined[1]);
        assertTrue(combined[2] <= combined[1] && combined[1] <= combined[3], Arrays.toString(combinedRow));
        final double[] etsOnly = numbers(row(lines(run(concat(base, "--ets-weight", "1")).out).get(1)));
        assertEquals(ets[1], etsOnly[1], 1e-6 * ets[1], "--ets-weight 1 is the ETS point forecast");
        final Run auto = run(concat(base, "--ets-weight", "auto"));
        assertEquals(Main.EXIT_OK, auto.code, auto.err);
        assertEquals(combined[1], numbers(row(lines(auto.out).get(1)))[1], 1e-9 * combined[1], "auto is the default");
        final Run backtest = run(concat(base, "--backtest", "--from", "40", "--step", "8", "--method", "ets"));
        assertEquals(Main.EXIT_OK, backtest.code, backtest.err);
        assertTrue(backtest.out.contains("\"ETS(A,N,N)\"") && !backtest.out.contains("SNAIVE"), backtest.out);

        assertRefused(run(concat(base, "--ets-weight", "1.5")), "--ets-weight", "'1.5'");
        assertRefused(run(concat(base, "--ets-weight", "half")), "--ets-weight", "'half'");
        final Run badMethod = run(concat(base, "--method", "prophet"));
        assertEquals(Main.EXIT_USAGE, badMethod.code, badMethod.err);
        assertTrue(badMethod.err.contains("--method"), badMethod.err);
    }

    static String[] concat(final String[] base, final String... more)
    {
        final String[] all = Arrays.copyOf(base, base.length + more.length);
        System.arraycopy(more, 0, all, base.length, more.length);
        return all;
    }

    /** The numeric cells of a forecast row: horizon, mean, lower, upper, confidence, sigma (index 6 stays NaN). */
    static double[] numbers(final String[] cells)
    {
        final double[] out = new double[cells.length];
        for (int i = 0; i < cells.length; i++)
        {
            out[i] = i < 6 ? Double.parseDouble(cells[i]) : Double.NaN;
        }
        return out;
    }

    @Test
    void quotedHeaderNamesAreAccepted() throws IOException
    {
        final Path file = fixture("quoted.csv", "\"ts_us\", \"write_bytes\",\"write_requests\"", series(ROWS));
        final Run run = run("forecast", "--input", file.toString(), "--column", "write_bytes", "--period", "8",
            "--horizon", "2", "--confidence", "0.95");
        assertEquals(Main.EXIT_OK, run.code, run.err);
    }

    @Test
    void missingFileIsRefused()
    {
        final Path missing = dir.resolve("nope.csv");
        assertRefused(run("forecast", "--input", missing.toString(), "--column", "write_bytes", "--period", "8",
            "--horizon", "4", "--confidence", "0.95"), missing.toString(), "no such file");
    }

    @Test
    void missingColumnIsRefusedWithTheColumnsPresent() throws IOException
    {
        final Path file = standardFixture();
        assertRefused(run("forecast", "--input", file.toString(), "--column", "read_bytes", "--period", "8",
            "--horizon", "4", "--confidence", "0.95"), file.toString(), "line 1", "'read_bytes'", "ts_us, write_bytes, write_requests");
    }

    @Test
    void aFileThatIsNoCsvIsRefusedWithoutEchoingItsFirstLine() throws IOException
    {
        final Path file = dir.resolve("passwd");
        Files.writeString(file, "root:x:0:0:root:/root:/bin/bash\ndaemon:x:1:1:daemon:/usr/sbin:/usr/sbin/nologin\n");
        final Run run = run("forecast", "--input", file.toString(), "--horizon", "4");
        assertRefused(run, file + " line 1 is not a CSV header", "presync trace aggregate");
        assertTrue(!run.err.contains("/bin/bash"), run.err);
        // A long header of many names is cut in the message rather than echoed whole.
        final Path wide = dir.resolve("wide.csv");
        Files.writeString(wide, String.join(",", java.util.Collections.nCopies(100, "some_column_name")) + "\n1\n");
        final Run cut = run("forecast", "--input", wide.toString(), "--horizon", "4");
        assertRefused(cut, "has no column 'write_bytes'", "...: pass one of them with --column.");
        assertTrue(cut.err.length() < 400, cut.err);
    }

    @Test
    void nonNumericCellIsRefusedWithFileLineAndColumn() throws IOException
    {
        final Path file = standardFixture();
        final List<String> content = new ArrayList<>(Files.readAllLines(file));
        content.set(10, "123,12x4,5"); // line 11 of the file
        Files.write(file, content);
        assertRefused(run("forecast", "--input", file.toString(), "--column", "write_bytes", "--period", "8",
            "--horizon", "4", "--confidence", "0.95"), file.toString(), "line 11", "'write_bytes'", "'12x4'");
    }

    @Test
    void missingCellIsRefusedWithFileLineAndColumn() throws IOException
    {
        final Path file = standardFixture();
        final List<String> content = new ArrayList<>(Files.readAllLines(file));
        content.set(5, "123"); // line 6 of the file
        Files.write(file, content);
        assertRefused(run("forecast", "--input", file.toString(), "--column", "write_bytes", "--period", "8",
            "--horizon", "4", "--confidence", "0.95"), file.toString(), "line 6", "'write_bytes'");
    }

    @Test
    void tooFewRowsForThePeriodIsRefused() throws IOException
    {
        final Path file = fixture("short.csv", "ts_us,write_bytes,write_requests", series(12));
        assertRefused(run("forecast", "--input", file.toString(), "--column", "write_bytes", "--period", "8",
            "--horizon", "4", "--confidence", "0.95"), file.toString(), "12 usable rows", "'write_bytes'", "line 13", "period 8",
            "19");
        assertRefused(run("forecast", "--input", file.toString(), "--column", "write_bytes", "--period", "8",
            "--horizon", "4", "--confidence", "0.95", "--backtest", "--from", "6"), file.toString(), "period 8", "19");
    }

    @Test
    void emptyFileIsRefused() throws IOException
    {
        final Path file = dir.resolve("empty.csv");
        Files.writeString(file, "");
        assertRefused(run("forecast", "--input", file.toString(), "--horizon", "4"), file.toString(), "empty");
        Files.writeString(file, "ts_us,write_bytes\n");
        assertRefused(run("forecast", "--input", file.toString(), "--horizon", "4"), file.toString(), "no data rows");
    }

    @Test
    void confidenceOutsideTheOpenUnitIntervalIsRefused() throws IOException
    {
        final Path file = standardFixture();
        for (final String c : new String[] {"0", "1", "1.5", "-0.2", "NaN"})
        {
            assertRefused(run("forecast", "--input", file.toString(), "--column", "write_bytes", "--period", "8",
                "--horizon", "4", "--confidence", c), "--confidence");
        }
    }

    @Test
    void nonPositiveHorizonIsRefused() throws IOException
    {
        final Path file = standardFixture();
        for (final String h : new String[] {"0", "-3"})
        {
            assertRefused(run("forecast", "--input", file.toString(), "--column", "write_bytes", "--period", "8",
                "--horizon", h, "--confidence", "0.95"), "--horizon");
        }
    }

    @Test
    void badPeriodAndBacktestOptionsAreRefused() throws IOException
    {
        final Path file = standardFixture();
        assertRefused(run("forecast", "--input", file.toString(), "--period", "daily", "--horizon", "4"), "--period", "'daily'");
        assertRefused(run("forecast", "--input", file.toString(), "--period", "0", "--horizon", "4"), "--period");
        assertRefused(run("forecast", "--input", file.toString(), "--period", "8", "--horizon", "4", "--from", "20"), "--backtest");
        assertRefused(run("forecast", "--input", file.toString(), "--period", "8", "--horizon", "4", "--backtest", "--step", "0"), "--step");
        assertRefused(run("forecast", "--input", file.toString(), "--period", "8", "--horizon", "4", "--backtest", "--from", "78"),
            "too few for a back-test");
        final Run badFormat = run("forecast", "--input", file.toString(), "--horizon", "4", "--format", "xml");
        assertEquals(Main.EXIT_USAGE, badFormat.code);
        assertTrue(badFormat.err.contains("--format"), badFormat.err);
    }

    @Test
    void negativeValuesAreRefusedWithLog1p() throws IOException
    {
        final double[] y = series(ROWS);
        y[20] = -5;
        final Path file = fixture("negative.csv", "ts_us,write_bytes,write_requests", y);
        assertRefused(run("forecast", "--input", file.toString(), "--period", "8", "--horizon", "4", "--transform", "log1p"),
            file.toString(), "line 22", "'write_bytes'", "negative");
    }

    @Test
    void backtestOnARealTrace() throws IOException
    {
        final String traces = System.getProperty("presync.traces");
        final Path file = traces == null ? null : Path.of(traces, "cloudphysics-30min", "w01.csv");
        Assumptions.assumeTrue(file != null && Files.isReadable(file),
            "skipped: no CloudPhysics trace at " + file + " (set -Dpresync.traces to ../shared/data/traces)");
        final Run run = run("forecast", "--input", file.toString(), "--column", "write_bytes", "--period", "48",
            "--horizon", "16", "--confidence", "0.9", "--backtest", "--from", "144", "--step", "24");
        assertEquals(Main.EXIT_OK, run.code, run.err);
        final List<String> lines = lines(run.out);
        assertEquals("origin,actual,predicted,lower,upper,model", lines.get(0));
        // w01 has 301 data rows: origins 144, 168, ..., 264 (264 + 16 <= 301, 288 + 16 > 301).
        final int rows = lines(Files.readString(file)).size() - 1;
        int origins = 0;
        for (int origin = 144; origin + 16 <= rows; origin += 24)
        {
            origins++;
        }
        assertEquals(origins, lines.size() - 1, run.out);
        for (final String line : lines.subList(1, lines.size()))
        {
            final String[] cells = row(line);
            final double predicted = Double.parseDouble(cells[2]);
            assertTrue(predicted >= 0 && Double.parseDouble(cells[4]) >= predicted, line);
        }
        assertFalse(run.out.contains("NaN"), run.out);
    }
}
