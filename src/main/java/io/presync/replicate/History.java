package io.presync.replicate;

import io.presync.RefusedException;
import io.presync.forecast.HeatModel;
import io.presync.stream.TraceFormat;
import io.presync.stream.TraceReader;
import io.presync.stream.WriteAggregator;

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
 */
public record History(double[] newBytes, double intervalSeconds, String source)
{
    public static final int TRACE_INTERVAL_SECONDS = 60;

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
            TraceReader.read(file, traceFormat, true, aggregator);
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
}
