package io.presync.cli;

import java.io.PrintWriter;
import java.util.Locale;

/**
 * Start-up and teardown marks of a command, printed to stderr at exit when the JVM runs with
 * {@code -Dpresync.timeline=true} (diagnostics for {@code presync copy}'s fixed cost; off, a mark is one
 * static boolean test). Times are milliseconds since the process started (see {@link #startNanos()}),
 * so that the time before {@code main} shows.
 */
final class Timeline
{
    static final boolean ENABLED = Boolean.getBoolean("presync.timeline");
    private static final int MAX_MARKS = 64;
    private static final String[] NAMES = new String[MAX_MARKS];
    private static final long[] NANOS = new long[MAX_MARKS];
    private static int count;

    private Timeline()
    {
    }

    static void mark(final String name)
    {
        if (ENABLED)
        {
            record(name, System.nanoTime());
        }
    }

    /** A mark taken earlier, e.g. by another thread (main thread only: marks are not synchronised). */
    static void record(final String name, final long nanos)
    {
        if (ENABLED && count < MAX_MARKS && nanos != 0)
        {
            int i = count++;
            while (i > 0 && NANOS[i - 1] > nanos)
            {
                NANOS[i] = NANOS[i - 1];
                NAMES[i] = NAMES[i - 1];
                i--;
            }
            NANOS[i] = nanos;
            NAMES[i] = name;
        }
    }

    /**
     * The zero of the timeline: {@code -Dpresync.timeline.t0=NANOS}, a CLOCK_MONOTONIC reading taken by
     * whoever started the process (System.nanoTime is CLOCK_MONOTONIC on Linux; Python's
     * time.monotonic_ns() too), so that the wrapper script and the JVM's own start show; else the JVM's
     * start as its uptime says (millisecond resolution).
     */
    private static long startNanos()
    {
        final String t0 = System.getProperty("presync.timeline.t0");
        if (t0 != null)
        {
            return Long.parseLong(t0);
        }
        final long now = System.nanoTime();
        return now - java.lang.management.ManagementFactory.getRuntimeMXBean().getUptime() * 1_000_000L;
    }

    /** Prints the marks: time since the JVM started and since the previous mark, in milliseconds. */
    static void print(final PrintWriter err)
    {
        if (!ENABLED || count == 0)
        {
            return;
        }
        final long startNanos = startNanos();
        long previous = startNanos;
        for (int i = 0; i < count; i++)
        {
            err.printf(Locale.ROOT, "timeline %8.1f ms  +%7.1f ms  %s%n", (NANOS[i] - startNanos) / 1e6,
                (NANOS[i] - previous) / 1e6, NAMES[i]);
            previous = NANOS[i];
        }
        err.flush();
    }
}
