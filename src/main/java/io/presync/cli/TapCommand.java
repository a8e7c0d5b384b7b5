package io.presync.cli;

import io.presync.stream.BlockTap;
import io.presync.stream.WriteLog;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.Locale;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;

/**
 * {@code presync tap --device DEV --out LOG [--duration D]}: records every completed write, discard,
 * write-zeroes and flush of a block device into a write log until stopped (SIGINT/SIGTERM) or
 * until the duration has passed. On stop it drains the kernel buffer, flushes and syncs the log,
 * removes its trace instance and prints a summary; lost events are logged as LOST records and
 * counted in the summary.
 */
@Command(
    name = "tap",
    mixinStandardHelpOptions = true,
    description = "Records every completed write, discard, write-zeroes and flush of a block device into a write log "
        + "until stopped (Ctrl-C, SIGTERM) or until --duration has passed.")
public final class TapCommand implements Callable<Integer>
{
    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Option(names = "--device", required = true, paramLabel = "DEV", description = "The block device to watch, e.g. /dev/loop0.")
    Path device;

    @Option(names = "--out", required = true, paramLabel = "LOG",
        description = "The write-log directory (created when absent; an existing log is continued).")
    Path logDirectory;

    @Option(names = "--duration", paramLabel = "D", converter = DurationConverter.class,
        description = "Stop after this long (s, m, h suffixes); default: until stopped.")
    Long durationNanos;

    @Option(names = "--buffer-size", paramLabel = "SIZE", converter = SizeConverter.class, defaultValue = "4M",
        description = "Kernel trace buffer per CPU (default ${DEFAULT-VALUE}).")
    long bufferBytes;

    @Option(names = "--segment-size", paramLabel = "SIZE", converter = SizeConverter.class, defaultValue = "64M",
        description = "Start a new log segment at this size (default ${DEFAULT-VALUE}).")
    long segmentBytes;

    @Option(names = "--max-log-size", paramLabel = "SIZE", converter = SizeConverter.class,
        description = "Drop the oldest segments beyond this total size (default: keep all).")
    Long maxLogBytes;

    @Option(names = "--max-log-age", paramLabel = "D", converter = DurationConverter.class,
        description = "Drop segments older than this (default: keep all).")
    Long maxLogAgeNanos;

    @Option(names = "--quiet", description = "Do not print the summary.")
    boolean quiet;

    private volatile boolean stopRequested;

    @Override
    public Integer call() throws Exception
    {
        final PrintWriter out = spec.commandLine().getOut();
        final WriteLog.Options logOptions = new WriteLog.Options().segmentBytes(segmentBytes);
        if (maxLogBytes != null)
        {
            logOptions.maxBytes(maxLogBytes);
        }
        if (maxLogAgeNanos != null)
        {
            logOptions.maxAgeNanos(maxLogAgeNanos);
        }
        final CountDownLatch finished = new CountDownLatch(1);
        final Thread hook = new Thread(() ->
        {
            // SIGINT/SIGTERM: ask the loop to stop, then let it drain and close before the JVM exits.
            stopRequested = true;
            try
            {
                finished.await(30, TimeUnit.SECONDS);
            }
            catch (final InterruptedException ex)
            {
                Thread.currentThread().interrupt();
            }
        }, "presync-tap-shutdown");
        final long start = System.nanoTime();
        try (WriteLog log = WriteLog.open(logDirectory, logOptions))
        {
            final long firstSequence = log.nextSequence();
            try (BlockTap tap = BlockTap.open(device, new BlockTap.Options()
                .bufferSizeKb((int)Math.max(1, Math.min(Integer.MAX_VALUE, bufferBytes >> 10)))
                .firstSequence(firstSequence)))
            {
                Runtime.getRuntime().addShutdownHook(hook);
                try
                {
                    if (!quiet)
                    {
                        out.println("tapping " + device + " into " + logDirectory + " from sequence " + firstSequence +
                            (durationNanos == null ? "; stop with Ctrl-C" : ""));
                        out.flush();
                    }
                    record(tap, log, start);
                    tap.drain(log, TimeUnit.SECONDS.toNanos(5));
                    log.sync();
                    if (!quiet)
                    {
                        summary(out, tap, log, System.nanoTime() - start);
                    }
                }
                finally
                {
                    removeHook(hook);
                }
            }
        }
        finally
        {
            out.flush();
            finished.countDown();
        }
        return Main.EXIT_OK;
    }

    private void record(final BlockTap tap, final WriteLog log, final long start) throws IOException
    {
        final long deadline = durationNanos == null ? Long.MAX_VALUE : start + durationNanos;
        final long flushIntervalNanos = TimeUnit.MILLISECONDS.toNanos(100);
        long lastFlush = System.nanoTime();
        while (!stopRequested)
        {
            final long now = System.nanoTime();
            if (durationNanos != null && now - deadline >= 0)
            {
                break;
            }
            final int n = tap.poll(log, 4096);
            if (now - lastFlush >= flushIntervalNanos)
            {
                // Make the last events visible to readers of the log within 100 ms.
                log.flush();
                lastFlush = now;
            }
            if (n == 0)
            {
                LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(1));
            }
        }
    }

    private static void removeHook(final Thread hook)
    {
        try
        {
            Runtime.getRuntime().removeShutdownHook(hook);
        }
        catch (final IllegalStateException ex)
        {
            // The JVM is shutting down because of a signal: the hook is what is waiting for us.
        }
    }

    private void summary(final PrintWriter out, final BlockTap tap, final WriteLog log, final long elapsedNanos)
    {
        final long events = tap.eventsDelivered();
        out.printf(Locale.ROOT, "tapped %s for %.1f s: %d events, %s of writes, discards and write-zeroes; log %s (next sequence %d)%n",
            device, elapsedNanos / 1e9, events, SizeConverter.format(tap.bytesDelivered()), log.directory(), log.nextSequence());
        if (tap.lostReports() == 0)
        {
            out.println("lost: 0");
        }
        else
        {
            out.printf(Locale.ROOT, "lost: %d LOST records, at least %d events; the kernel buffer overran "
                + "(use a larger --buffer-size); a replication over this span must compare checksums%n",
                tap.lostReports(), tap.lostEvents());
        }
    }
}
