package io.presync.cli;

import io.presync.RefusedException;
import io.presync.replicate.ReplicationJob;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.OptionSpec;
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
@Command(name = "replicate", mixinStandardHelpOptions = true, description = ReplicateCommand.DESCRIPTION)
public final class ReplicateCommand implements Callable<Integer>
{
    static final String DESCRIPTION = "Replicates a live master block device into a right-sized partition of a Presync pool.";
    static final String LOG_DESCRIPTION = "Write log and job state directory (default: /var/lib/presync/PARTITION).";
    static final String UNTIL_SYNCED_DESCRIPTION = "Exit at the first consistent point after the copy: the dirty set " +
        "empty, the partition equal to the master up to the reported sequence.";
    static final String SYNC_TIMEOUT_DESCRIPTION = "With --until-synced: give up when no consistent point is reached " +
        "within DURATION (30s, 10m); exit code 3, the job state kept (default: wait as long as it takes).";
    static final String TAP_BUFFER_DEFAULT = "4M";
    static final String TAP_BUFFER_DESCRIPTION = "Kernel trace buffer per CPU for the tap (default: ${DEFAULT-VALUE}); " +
        "when it overruns, the job compares checksums instead of trusting the lost events.";
    static final String JSON_DESCRIPTION = "Print the final report as JSON.";
    static final String FINAL_VERIFY_DEFAULT = "full";
    static final String FINAL_VERIFY_DESCRIPTION = "With --until-synced, what the verify at the end compares: full (the " +
        "stored checksums against the slave and the master, the default), slave (against the slave only: the master's " +
        "equality rests on the tap) or off; mismatches are repaired.";

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @CommandLine.Mixin
    JobOptions jobOptions;

    @Option(names = "--log", paramLabel = "DIR", description = LOG_DESCRIPTION)
    Path logDirectory;

    @Option(names = "--until-synced", description = UNTIL_SYNCED_DESCRIPTION)
    boolean untilSynced;

    @Option(names = "--sync-timeout", converter = DurationConverter.class, paramLabel = "DURATION",
        description = SYNC_TIMEOUT_DESCRIPTION)
    long syncTimeoutNanos;

    @Option(names = "--tap-buffer", paramLabel = "SIZE", converter = SizeConverter.class, defaultValue = TAP_BUFFER_DEFAULT,
        description = TAP_BUFFER_DESCRIPTION)
    long tapBufferBytes;

    @Option(names = "--json", description = JSON_DESCRIPTION)
    boolean json;

    @Option(names = "--final-verify", paramLabel = "WHAT", defaultValue = FINAL_VERIFY_DEFAULT,
        description = FINAL_VERIFY_DESCRIPTION)
    String finalVerify;

    /**
     * This command's picocli model built in code, the same as picocli derives from the annotations above and
     * on {@link JobOptions} (ReplicateCommandModelTest compares the two: usage help, parsing and errors).
     * Deriving it parses annotations through dynamic proxy classes and binds the fields through reflection,
     * which spin classes no AOT cache holds: tens of milliseconds before the job's first step, the same cost
     * {@link CopyCommand#model()} removes from {@code presync copy} (see Main#commandLineFor).
     */
    static CommandLine.Model.CommandSpec model()
    {
        final ReplicateCommand command = new ReplicateCommand();
        command.jobOptions = new JobOptions();
        final CommandLine.Model.CommandSpec spec = CommandLine.Model.CommandSpec.wrapWithoutInspection(command);
        command.spec = spec;
        spec.name("replicate");
        spec.usageMessage().description(DESCRIPTION);
        Main.addStandardHelpOptions(spec);
        command.jobOptions.addTo(spec);
        spec.addOption(OptionSpec.builder("--log").paramLabel("DIR").type(Path.class).converters(new PathConverter())
            .description(LOG_DESCRIPTION).setter(command.bind(Binding.LOG)).getter(command.bind(Binding.LOG)).build());
        spec.addOption(OptionSpec.builder("--until-synced").type(boolean.class).initialValue(false)
            .description(UNTIL_SYNCED_DESCRIPTION)
            .setter(command.bind(Binding.UNTIL_SYNCED)).getter(command.bind(Binding.UNTIL_SYNCED)).build());
        spec.addOption(OptionSpec.builder("--sync-timeout").paramLabel("DURATION").type(long.class)
            .converters(new DurationConverter()).initialValue(0L).description(SYNC_TIMEOUT_DESCRIPTION)
            .setter(command.bind(Binding.SYNC_TIMEOUT)).getter(command.bind(Binding.SYNC_TIMEOUT)).build());
        spec.addOption(OptionSpec.builder("--tap-buffer").paramLabel("SIZE").type(long.class).converters(new SizeConverter())
            .initialValue(0L).defaultValue(TAP_BUFFER_DEFAULT).description(TAP_BUFFER_DESCRIPTION)
            .setter(command.bind(Binding.TAP_BUFFER)).getter(command.bind(Binding.TAP_BUFFER)).build());
        spec.addOption(OptionSpec.builder("--json").type(boolean.class).initialValue(false).description(JSON_DESCRIPTION)
            .setter(command.bind(Binding.JSON)).getter(command.bind(Binding.JSON)).build());
        spec.addOption(OptionSpec.builder("--final-verify").paramLabel("WHAT").type(String.class)
            .defaultValue(FINAL_VERIFY_DEFAULT).description(FINAL_VERIFY_DESCRIPTION)
            .setter(command.bind(Binding.FINAL_VERIFY)).getter(command.bind(Binding.FINAL_VERIFY)).build());
        return spec;
    }

    private Binding bind(final int field)
    {
        return new Binding(this, field);
    }

    /** Reads and writes one option's field by its index (see {@link FieldBinding}). */
    private static final class Binding extends FieldBinding
    {
        static final int LOG = 0;
        static final int UNTIL_SYNCED = 1;
        static final int SYNC_TIMEOUT = 2;
        static final int TAP_BUFFER = 3;
        static final int JSON = 4;
        static final int FINAL_VERIFY = 5;

        private final ReplicateCommand command;

        Binding(final ReplicateCommand command, final int field)
        {
            super(field);
            this.command = command;
        }

        @Override
        Object read(final int field)
        {
            return switch (field)
            {
                case LOG -> command.logDirectory;
                case UNTIL_SYNCED -> command.untilSynced;
                case SYNC_TIMEOUT -> command.syncTimeoutNanos;
                case TAP_BUFFER -> command.tapBufferBytes;
                case JSON -> command.json;
                default -> command.finalVerify;
            };
        }

        @Override
        void write(final int field, final Object value)
        {
            switch (field)
            {
                case LOG -> command.logDirectory = (Path)value;
                case UNTIL_SYNCED -> command.untilSynced = (Boolean)value;
                case SYNC_TIMEOUT -> command.syncTimeoutNanos = (Long)value;
                case TAP_BUFFER -> command.tapBufferBytes = (Long)value;
                case JSON -> command.json = (Boolean)value;
                default -> command.finalVerify = (String)value;
            }
        }
    }

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
        // SIGINT/SIGTERM run the hook, which asks the job to stop and holds the JVM until the job has committed, closed
        // (its trace instance removed) and the report is printed: the JVM halts as soon as the hook returns, and the
        // report of a stopped job (what was copied, that the same command resumes) is what the operator stopped it for.
        final CountDownLatch finished = new CountDownLatch(1);
        Thread hook = null;
        final ReplicationJob.Report report;
        try
        {
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
                hook = new Thread(() ->
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
                report = job.run(untilSynced, syncTimeoutNanos, Main.onTerminal() && !json ? new PrintWriter(System.err, true) : null);
            }
            print(report, json, out);
            out.flush();
        }
        finally
        {
            finished.countDown();
            if (hook != null)
            {
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
        if (!r.consistentReached() && !r.timedOut())
        {
            // Stopped (SIGINT/SIGTERM) before the copy was through: not a replica yet, and the operator needs to know how to go on.
            out.printf(Locale.ROOT, "stopped replicating into partition '%s'%s after %.1f s, before its first consistent point: " +
                    "%s of %s copied, the job state committed; run the same command again to resume%n", r.partition(),
                r.resumed() ? " (resumed)" : "", r.durationSeconds(), SizeConverter.format(r.copiedBytes()), SizeConverter.format(r.baseBytes()));
        }
        else
        {
            out.printf(Locale.ROOT, "replicated into partition '%s'%s in %.1f s%s%n", r.partition(), r.resumed() ? " (resumed)" : "",
                r.durationSeconds(), Double.isNaN(r.secondsToSynced()) ? "" :
                    String.format(Locale.ROOT, " (synced and committed %.2f s after the process started)", r.secondsToSynced()));
        }
        out.printf(Locale.ROOT, "  planned %s: base %s + growth bound %s (mean %s) at confidence %.3f%n",
            SizeConverter.format(r.plannedPartitionBytes()), SizeConverter.format(r.baseBytes()),
            SizeConverter.format(r.growthUpperBytes()), SizeConverter.format(r.predictedGrowthBytes()), r.confidence());
        out.printf(Locale.ROOT, "  actual growth %s, used %s, extensions %d%n", SizeConverter.format(r.actualGrowthBytes()),
            SizeConverter.format(r.usedBytes()), r.extensions());
        for (final String reason : r.extensionReasons())
        {
            out.println("    extension " + reason);
        }
        if (Double.isNaN(r.plan().rateBytesPerSecond()))
        {
            // Not probed (no growth history): no planned rate and no horizon, in the plan's words, not "0 B/s" and "NaN s".
            out.printf(Locale.ROOT, "  copy rate %s; measured %s/s; horizon unknown%n", r.plan().copyRate().source(),
                SizeConverter.format((long)r.measuredCopyBytesPerSecond()));
        }
        else
        {
            out.printf(Locale.ROOT, "  copy rate planned %s/s (%s), measured %s/s; horizon planned %.1f s, refined %.1f s%n",
                SizeConverter.format((long)r.plan().rateBytesPerSecond()), r.plan().copyRate().source(),
                SizeConverter.format((long)r.measuredCopyBytesPerSecond()), r.plan().horizonSeconds(), r.horizonSeconds());
        }
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
