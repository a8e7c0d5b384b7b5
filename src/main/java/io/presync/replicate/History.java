package io.presync.replicate;

import io.presync.RefusedException;
import io.presync.forecast.HeatModel;
import io.presync.stream.TraceFormat;
import io.presync.stream.TraceReader;
import io.presync.stream.WriteAggregator;
import io.presync.stream.WriteLogReader;

import java.io.BufferedReader;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Locale;

/**
 * Newly-allocated bytes per interval, the series the planner forecasts, loaded from a block trace
 * (blkparse, cloudphysics, msr, or our own write log: aggregated by {@link WriteAggregator} into
 * {@code new_bytes} per {@value #TRACE_INTERVAL_SECONDS} s) or from a series CSV with a {@code ts_us}
 * column and a {@code new_bytes} column. A series without {@code new_bytes} but with
 * {@code write_working_set_bytes} (the shared CloudPhysics series) uses that as an upper proxy: new
 * bytes are a subset of the distinct bytes written in the interval.
 *
 * @param newBytes        one value per interval, oldest first
 * @param intervalSeconds interval length
 * @param source          what was read, for the plan's output
 * @param fileBuckets     of the values, those from a file ({@code --history})
 * @param logBuckets      of the values, those from the job's own write log (after the file's: they are newer)
 * @param observedBytesPerSecond new bytes per second of tapping the write log saw, partial buckets included
 *                        (0 when it saw none): a run shorter than one bucket still tells the next run its rate
 */
public record History(double[] newBytes, double intervalSeconds, String source, int fileBuckets, int logBuckets,
    double observedBytesPerSecond)
{
    public static final int TRACE_INTERVAL_SECONDS = 60;
    /** Bucket length of a history read from the job's write log alone: a copy's horizon is seconds to minutes. */
    public static final int LOG_INTERVAL_SECONDS = 10;
    /** The file in a log directory where the job records when it was tapping: "startEpochNanos endEpochNanos" a line. */
    public static final String RUNS_FILE = "runs";

    /** A history read from one file. */
    public History(final double[] newBytes, final double intervalSeconds, final String source)
    {
        this(newBytes, intervalSeconds, source, newBytes.length, 0, 0);
    }

    /** No history at all. */
    public static History none()
    {
        return new History(new double[0], TRACE_INTERVAL_SECONDS, "none");
    }

    /**
     * Loads {@code file} in {@code format} (blkparse, cloudphysics, msr, log, series, or null to guess
     * from the content). Writes inside {@code heat}'s device also feed it when it is not null.
     */
    public static History load(final Path file, final String format, final HeatModel heat) throws IOException
    {
        if (!Files.exists(file))
        {
            throw new RefusedException("history " + file + " does not exist; give a trace, series CSV or write log");
        }
        final String f = format != null ? format.toLowerCase(Locale.ROOT) : guess(file);
        if (f.equals("series"))
        {
            return series(file);
        }
        final TraceFormat traceFormat = TraceFormat.of(f);
        final WriteAggregator aggregator = new WriteAggregator(TRACE_INTERVAL_SECONDS * 1_000_000_000L,
            heat == null ? 1 << 20 : heat.regionBytes(),
            heat == null ? null : (region, bytes, timeNanos) ->
            {
                if (region < heat.regionCount())
                {
                    heat.recordRegionWrite((int)region, 1.0, timeNanos);
                }
            });
        try (aggregator)
        {
            // Strict, as 'presync trace aggregate' is by default: a malformed line is refused naming file and line.
            final TraceReader.Summary read = TraceReader.read(file, traceFormat, "fix the line, or keep only the well-formed " +
                "ones with 'presync trace aggregate --skip-bad' and pass the series CSV it writes", aggregator);
            if (read.lines() > 0 && read.events() == 0 && read.reads() == 0)
            {
                // Every line well-formed and none an I/O: a file of another kind (blkparse, the guess of last
                // resort, ignores any line with a colon as one of its summaries).
                throw new RefusedException("history " + file + " holds no block I/O in its " + read.lines() + " lines read as " + f +
                    (format == null ? " (guessed from its first line)" : "") + "; give a blkparse, cloudphysics or msr trace, " +
                    "a series CSV or a write log, with --history-format naming its format");
            }
            final double[] y = new double[aggregator.intervals()];
            for (int i = 0; i < y.length; i++)
            {
                y[i] = aggregator.newBytes(i);
            }
            return new History(y, TRACE_INTERVAL_SECONDS, f + " trace " + file);
        }
    }

    static String guess(final Path file) throws IOException
    {
        if (Files.isDirectory(file) || file.toString().endsWith(".wlog"))
        {
            return "log";
        }
        try (BufferedReader reader = Files.newBufferedReader(file, StandardCharsets.ISO_8859_1))
        {
            final String first = reader.readLine();
            if (first == null)
            {
                return "series";
            }
            if (first.contains("ts_us"))
            {
                return "series";
            }
            if (first.startsWith("version") || first.matches("^\\d+,\\d+,[0-9a-fA-F]+,.*"))
            {
                return "cloudphysics";
            }
            if (first.matches("^\\d{15,},.*"))
            {
                return "msr";
            }
            return "blkparse";
        }
    }

    static History series(final Path file) throws IOException
    {
        try (BufferedReader reader = Files.newBufferedReader(file, StandardCharsets.UTF_8))
        {
            final String header = reader.readLine();
            if (header == null)
            {
                return new History(new double[0], TRACE_INTERVAL_SECONDS, "empty series " + file);
            }
            final String[] names = header.strip().split(",");
            int ts = -1;
            int column = -1;
            int proxy = -1;
            for (int i = 0; i < names.length; i++)
            {
                final String name = names[i].strip();
                if (name.equals("ts_us"))
                {
                    ts = i;
                }
                else if (name.equals("new_bytes"))
                {
                    column = i;
                }
                else if (name.equals("write_working_set_bytes"))
                {
                    proxy = i;
                }
            }
            final boolean usesProxy = column < 0;
            if (column < 0)
            {
                column = proxy;
            }
            if (column < 0)
            {
                throw new RefusedException("series " + file + " has neither a new_bytes nor a write_working_set_bytes column; " +
                    "give a series written by presync trace aggregate");
            }
            double[] y = new double[256];
            long[] t = new long[256];
            int n = 0;
            String line;
            while ((line = reader.readLine()) != null)
            {
                if (line.isBlank())
                {
                    continue;
                }
                final String[] fields = line.split(",");
                if (n == y.length)
                {
                    y = Arrays.copyOf(y, 2 * n);
                    t = Arrays.copyOf(t, 2 * n);
                }
                y[n] = Double.parseDouble(fields[column].strip());
                t[n] = ts >= 0 ? Long.parseLong(fields[ts].strip()) : n;
                n++;
            }
            final double interval = ts >= 0 && n > 1 ? (t[n - 1] - t[0]) / 1e6 / (n - 1) : TRACE_INTERVAL_SECONDS;
            return new History(Arrays.copyOf(y, n), interval, "series " + file + " column " +
                (usesProxy ? "write_working_set_bytes (upper proxy of new bytes)" : "new_bytes"));
        }
        catch (final NumberFormatException ex)
        {
            throw new RefusedException("series " + file + " has a value that is not a number (" + ex.getMessage() + "); fix the CSV", ex);
        }
    }

    /**
     * The newly-allocated bytes the job's own write log in {@code directory} observed, in buckets of
     * {@code intervalSeconds}. Only whole buckets inside a span when a job was tapping (the {@value #RUNS_FILE}
     * file; without it, the span from the first to the last event) count: between runs the log is silent
     * because nobody listened, not because nothing was written. New bytes are 4 KiB blocks written for
     * the first time in the log ({@link WriteAggregator} with an empty allocation map): the log does not
     * know what the master held before it began, so a rewrite of older data counts as new, an upper proxy.
     * A log that cannot be read gives no buckets and says why in {@link #source()}.
     */
    public static History fromLog(final Path directory, final double intervalSeconds) throws IOException
    {
        final String where = "write log " + directory;
        if (!Files.isDirectory(directory))
        {
            return new History(new double[0], intervalSeconds, where + ": none yet", 0, 0, 0);
        }
        try (var list = Files.list(directory))
        {
            if (list.noneMatch(f -> f.getFileName().toString().endsWith(".wlog")))
            {
                return new History(new double[0], intervalSeconds, where + ": none yet", 0, 0, 0);
            }
        }
        final long intervalNanos = Math.max(1_000_000_000L, Math.round(intervalSeconds * 1e9));
        // Sub-buckets of at least 1 s cut the runs' edges; at most 60 per bucket keeps the series small.
        final int k = (int)Math.max(1, Math.min(60, intervalNanos / 1_000_000_000L));
        final long resolutionNanos = intervalNanos / k;
        final long[][] runs = readRuns(directory);
        final double[] y;
        final WriteLogReader.Result replayed;
        long observedBytes = 0;
        long observedNanos = 0;
        try (WriteAggregator aggregator = new WriteAggregator(resolutionNanos, 1 << 20, null))
        {
            try
            {
                replayed = WriteLogReader.replay(directory, aggregator);
            }
            catch (final IOException | RuntimeException ex)
            {
                return new History(new double[0], intervalSeconds, where + ": not read (" + ex.getMessage() + ")", 0, 0, 0);
            }
            final int n = aggregator.intervals();
            final long origin = n > 0 ? aggregator.intervalEndNanos(0) - resolutionNanos : runs.length > 0 ? runs[0][0] : 0;
            final long[][] spans = runs.length > 0 || n == 0 ? runs : new long[][] {{origin, aggregator.intervalEndNanos(n - 1)}};
            double[] values = new double[16];
            int count = 0;
            for (final long[] span : spans)
            {
                final long from = Math.max(0, Math.floorDiv(span[0] - origin, resolutionNanos));
                final long to = Math.min(n, Math.floorDiv(span[1] - origin + resolutionNanos - 1, resolutionNanos));
                for (long j = from; j < to; j++)
                {
                    observedBytes += aggregator.newBytes((int)j);
                }
                observedNanos += span[1] - span[0];
                long first = Math.floorDiv(span[0] - origin + resolutionNanos - 1, resolutionNanos);
                while (origin + (first + k) * resolutionNanos <= span[1])
                {
                    long sum = 0;
                    for (long j = first; j < first + k; j++)
                    {
                        sum += j >= 0 && j < n ? aggregator.newBytes((int)j) : 0;
                    }
                    if (count == values.length)
                    {
                        values = Arrays.copyOf(values, 2 * count);
                    }
                    values[count++] = sum;
                    first += k;
                }
            }
            y = Arrays.copyOf(values, count);
        }
        // Under a second of tapping says nothing about a rate.
        final double rate = observedNanos >= 1_000_000_000L ? observedBytes / (observedNanos / 1e9) : 0;
        return new History(y, intervalNanos / 1e9, String.format(Locale.ROOT,
            "%s: %d whole buckets of %.0f s from %d records in %d tapping spans of %.1f s, %.1f MiB/s of first writes " +
                "(a first write of a block counts as new)",
            where, y.length, intervalNanos / 1e9, replayed.records(), Math.max(1, runs.length), observedNanos / 1e9,
            rate / (1 << 20)), 0, y.length, rate);
    }

    /** The spans of {@value #RUNS_FILE}, oldest first; empty when there is none. Lines that do not parse are skipped. */
    static long[][] readRuns(final Path directory) throws IOException
    {
        final Path file = directory.resolve(RUNS_FILE);
        if (!Files.exists(file))
        {
            return new long[0][];
        }
        return Files.readAllLines(file, StandardCharsets.US_ASCII).stream()
            .map(String::strip)
            .filter(l -> l.matches("\\d+ \\d+"))
            .map(l -> new long[] {Long.parseLong(l.split(" ")[0]), Long.parseLong(l.split(" ")[1])})
            .filter(r -> r[1] >= r[0])
            .toArray(long[][]::new);
    }

    /**
     * Records in {@code directory}'s {@value #RUNS_FILE} that a job tapped from {@code startEpochNanos} to
     * {@code endEpochNanos}: a new line when {@code newRun}, else the last line's end moves (written to a
     * temporary file and renamed, so a crash leaves the old or the new file).
     */
    static void recordRun(final Path directory, final long startEpochNanos, final long endEpochNanos, final boolean newRun)
        throws IOException
    {
        final Path file = directory.resolve(RUNS_FILE);
        final java.util.List<String> lines = Files.exists(file) ?
            new java.util.ArrayList<>(Files.readAllLines(file, StandardCharsets.US_ASCII)) : new java.util.ArrayList<>();
        final String line = startEpochNanos + " " + endEpochNanos;
        if (newRun || lines.isEmpty())
        {
            lines.add(line);
        }
        else
        {
            lines.set(lines.size() - 1, line);
        }
        final Path tmp = directory.resolve(RUNS_FILE + ".tmp");
        Files.write(tmp, lines, StandardCharsets.US_ASCII);
        Files.move(tmp, file, java.nio.file.StandardCopyOption.REPLACE_EXISTING, java.nio.file.StandardCopyOption.ATOMIC_MOVE);
    }

    /**
     * {@code file}'s buckets followed by {@code log}'s (the log is newer than any imported history); the
     * log must have been read at the file's interval when the file has buckets.
     */
    public static History combine(final History file, final History log)
    {
        final double[] y = Arrays.copyOf(file.newBytes(), file.newBytes().length + log.newBytes().length);
        System.arraycopy(log.newBytes(), 0, y, file.newBytes().length, log.newBytes().length);
        final double interval = file.newBytes().length > 0 ? file.intervalSeconds() : log.intervalSeconds();
        return new History(y, interval, file.source() + "; " + log.source(), file.fileBuckets(), log.logBuckets(),
            log.observedBytesPerSecond());
    }
}
