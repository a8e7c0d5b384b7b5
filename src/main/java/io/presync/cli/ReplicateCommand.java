package io.presync.cli;

import io.presync.RefusedException;
import io.presync.replicate.ReplicationJob;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.Locale;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;

/**
 * {@code presync replicate --master DEV --pool DEV ...}: the replication job (see {@link ReplicationJob}).
 * Runs until synced with {@code --until-synced}, else until SIGINT/SIGTERM, then commits and reports.
 */
@Command(name = "replicate", mixinStandardHelpOptions = true,
    description = "Replicates a live master block device into a right-sized partition of a Presync pool.")
public final class ReplicateCommand implements Callable<Integer>
{
    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @CommandLine.Mixin
    JobOptions jobOptions;

    @Option(names = "--log", paramLabel = "DIR", description = "Write log and job state directory (default: /var/lib/presync/PARTITION).")
    Path logDirectory;

    @Option(names = "--until-synced", description = "Exit at the first consistent point after the copy: the dirty set " +
        "empty, the partition equal to the master up to the reported sequence.")
    boolean untilSynced;

    @Option(names = "--sync-timeout", converter = DurationConverter.class, paramLabel = "DURATION",
        description = "With --until-synced: give up when no consistent point is reached within DURATION (30s, 10m); " +
            "exit code 3, the job state kept (default: wait as long as it takes).")
    long syncTimeoutNanos;

    @Option(names = "--tap-buffer", paramLabel = "SIZE", converter = SizeConverter.class, defaultValue = "4M",
        description = "Kernel trace buffer per CPU for the tap (default: ${DEFAULT-VALUE}); when it overruns, the job " +
            "compares checksums instead of trusting the lost events.")
    long tapBufferBytes;

    @Option(names = "--json", description = "Print the final report as JSON.")
    boolean json;

    @Option(names = "--final-verify", paramLabel = "WHAT", defaultValue = "full",
        description = "With --until-synced, what the verify at the end compares: full (the stored checksums against the " +
            "slave and the master, the default), slave (against the slave only: the master's equality rests on the tap) " +
            "or off; mismatches are repaired.")
    String finalVerify;

    /** Exit code when {@code --sync-timeout} passed before the replica was consistent. */
    public static final int EXIT_NOT_SYNCED = 3;

    @Override
    public Integer call() throws IOException
    {
        final PrintWriter out = spec.commandLine().getOut();
        if (syncTimeoutNanos > 0 && !untilSynced)
        {
            throw new RefusedException("--sync-timeout limits --until-synced; add --until-synced or drop the timeout");
        }
        final ReplicationJob.Options o = jobOptions.toJobOptions(logDirectory);
        o.finalVerify = finalVerify(finalVerify);
        o.tapBufferKb = (int)Math.max(1, Math.min(Integer.MAX_VALUE, tapBufferBytes >> 10));
        final ReplicationJob.Report report;
        try (ReplicationJob job = ReplicationJob.start(o))
        {
            if (!json)
            {
                PlanCommand.print(job.plan(), false, out);
                if (job.resumed())
                {
                    out.println("resuming partition '" + o.partitionName() + "': writes made while no job was tapping the master are " +
                        "found by comparing the master's CRC32C with the partition's stored checksums; only differing blocks are copied");
                }
                out.flush();
            }
            final CountDownLatch finished = new CountDownLatch(1);
            final Thread hook = new Thread(() ->
            {
                job.requestStop();
                try
                {
                    finished.await();
                }
                catch (final InterruptedException ignored)
                {
                    Thread.currentThread().interrupt();
                }
            });
            Runtime.getRuntime().addShutdownHook(hook);
            try
            {
                report = job.run(untilSynced, syncTimeoutNanos, Main.onTerminal() && !json ? new PrintWriter(System.err, true) : null);
            }
            finally
            {
                finished.countDown();
                try
                {
                    Runtime.getRuntime().removeShutdownHook(hook);
                }
                catch (final IllegalStateException ignored)
                {
                    // Shutting down already: the hook is running.
                }
            }
        }
        print(report, json, out);
        if (report.timedOut())
        {
            out.flush();
            spec.commandLine().getErr().printf(Locale.ROOT, "not synced within %s: the dirty set was never empty after the copy%s; " +
                    "the job state is kept, so run the same command again to resume, or raise --sync-timeout%n",
                java.time.Duration.ofNanos(syncTimeoutNanos).toString().substring(2).toLowerCase(Locale.ROOT),
                report.dirtyBacklogGrowing() ? " (the dirty backlog is growing: the master is written faster than the job copies)" :
                    " (" + SizeConverter.format(report.dirtyBytes()) + " dirty)");
            spec.commandLine().getErr().flush();
            return EXIT_NOT_SYNCED;
        }
        return Main.EXIT_OK;
    }

    static ReplicationJob.FinalVerify finalVerify(final String text) throws RefusedException
    {
        return switch (text)
        {
            case "full" -> ReplicationJob.FinalVerify.FULL;
            case "slave" -> ReplicationJob.FinalVerify.SLAVE;
            case "off" -> ReplicationJob.FinalVerify.OFF;
            default -> throw new RefusedException("--final-verify " + text + " is unknown; give full, slave or off");
        };
    }

    static void print(final ReplicationJob.Report r, final boolean json, final PrintWriter out)
    {
        if (json)
        {
            final Json j = new Json()
                .field("partition", r.partition())
                .field("resumed", r.resumed() ? "yes" : "no")
                .field("plannedPartitionBytes", r.plannedPartitionBytes())
                .field("baseBytes", r.baseBytes())
                .field("predictedGrowthBytes", r.predictedGrowthBytes())
                .field("growthUpperBytes", r.growthUpperBytes());
            final StringBuilder s = new StringBuilder(j.toString());
            s.setLength(s.length() - 1);
            s.append(String.format(Locale.ROOT, ", \"confidence\": %.4f", r.confidence()));
            final Json k = new Json()
                .field("actualGrowthBytes", r.actualGrowthBytes())
                .field("usedBytes", r.usedBytes())
                .field("extensions", r.extensions())
                .field("copiedBytes", r.copiedBytes())
                .field("streamedBytes", r.streamedBytes())
                .field("recopiedBytes", r.recopiedBytes())
                .field("verifiedBytes", r.verifiedBytes())
                .field("extensionReasons", String.join("; ", r.extensionReasons()))
                .field("rateSource", r.plan().copyRate().source())
                .field("plannedRateBytesPerSecond", (long)r.plan().rateBytesPerSecond())
                .field("measuredCopyBytesPerSecond", (long)r.measuredCopyBytesPerSecond())
                .field("plannedHorizonMillis", (long)(r.plan().horizonSeconds() * 1000))
                .field("horizonMillis", (long)(r.horizonSeconds() * 1000))
                .field("historyFileBuckets", r.plan().fileBuckets())
                .field("historyLogBuckets", r.plan().logBuckets());
            final String rest = k.toString();
            s.append(", ").append(rest, 1, rest.length() - 1);
            s.append(String.format(Locale.ROOT, ", \"secondsToSynced\": %.3f", Double.isNaN(r.secondsToSynced()) ? -1 : r.secondsToSynced()));
            s.append(String.format(Locale.ROOT, ", \"durationSeconds\": %.3f, \"lagMillisP50\": %.3f, \"lagMillisP99\": %.3f, \"lagMillisP999\": %.3f",
                r.durationSeconds(), r.lagMillisP50(), r.lagMillisP99(), r.lagMillisP999()));
            final String tail = new Json().field("verify", r.verify()).field("consistentAtSeq", r.consistentAtSeq())
                .field("consistentReached", r.consistentReached() ? "yes" : "no")
                .field("millisToConsistent", Double.isNaN(r.secondsToConsistent()) ? -1 : (long)(r.secondsToConsistent() * 1000))
                .field("timedOut", r.timedOut() ? "yes" : "no")
                .field("dirtyBytes", r.dirtyBytes())
                .field("peakDirtyBytes", r.peakDirtyBytes())
                .field("dirtyBacklogGrowing", r.dirtyBacklogGrowing() ? "yes" : "no")
                .field("lostReports", r.lostReports()).field("tapEvents", r.tapEvents()).toString();
            s.append(", ").append(tail, 1, tail.length());
            out.println(s);
            return;
        }
        out.printf(Locale.ROOT, "replicated into partition '%s'%s in %.1f s%s%n", r.partition(), r.resumed() ? " (resumed)" : "",
            r.durationSeconds(), Double.isNaN(r.secondsToSynced()) ? "" :
                String.format(Locale.ROOT, " (synced and committed %.2f s after the process started)", r.secondsToSynced()));
        out.printf(Locale.ROOT, "  planned %s: base %s + growth bound %s (mean %s) at confidence %.3f%n",
            SizeConverter.format(r.plannedPartitionBytes()), SizeConverter.format(r.baseBytes()),
            SizeConverter.format(r.growthUpperBytes()), SizeConverter.format(r.predictedGrowthBytes()), r.confidence());
        out.printf(Locale.ROOT, "  actual growth %s, used %s, extensions %d%n", SizeConverter.format(r.actualGrowthBytes()),
            SizeConverter.format(r.usedBytes()), r.extensions());
        for (final String reason : r.extensionReasons())
        {
            out.println("    extension " + reason);
        }
        out.printf(Locale.ROOT, "  copy rate planned %s/s (%s), measured %s/s; horizon planned %.1f s, refined %.1f s%n",
            SizeConverter.format((long)r.plan().rateBytesPerSecond()), r.plan().copyRate().source(),
            SizeConverter.format((long)r.measuredCopyBytesPerSecond()), r.plan().horizonSeconds(), r.horizonSeconds());
        out.printf(Locale.ROOT, "  copied %s, streamed %s, re-copied after checksum comparison %s (compared %s)%n",
            SizeConverter.format(r.copiedBytes()), SizeConverter.format(r.streamedBytes()), SizeConverter.format(r.recopiedBytes()),
            SizeConverter.format(r.verifiedBytes()));
        out.printf(Locale.ROOT, "  lag write->applied p50 %.2f ms, p99 %.2f ms, p99.9 %.2f ms; tap events %d, lost reports %d%n",
            r.lagMillisP50(), r.lagMillisP99(), r.lagMillisP999(), r.tapEvents(), r.lostReports());
        out.printf(Locale.ROOT, "  verify %s; consistent at sequence %d%s%n", r.verify(), r.consistentAtSeq(),
            r.consistentReached() ? String.format(Locale.ROOT, " (reached %.1f s into this run)", r.secondsToConsistent()) :
                r.timedOut() ? " (not reached in this run: timed out)" : " (not reached in this run)");
        out.printf(Locale.ROOT, "  dirty backlog %s (peak %s)%s%n", SizeConverter.format(r.dirtyBytes()), SizeConverter.format(r.peakDirtyBytes()),
            r.dirtyBacklogGrowing() ? ", growing: the master is written faster than the job copies" : "");
    }
}
