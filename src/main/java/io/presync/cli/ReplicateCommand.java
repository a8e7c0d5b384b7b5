package io.presync.cli;

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

    @Option(names = "--until-synced", description = "Exit once the partition is consistent with the master.")
    boolean untilSynced;

    @Option(names = "--json", description = "Print the final report as JSON.")
    boolean json;

    @Override
    public Integer call() throws IOException
    {
        final PrintWriter out = spec.commandLine().getOut();
        final ReplicationJob.Options o = jobOptions.toJobOptions(logDirectory);
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
                report = job.run(untilSynced, Main.onTerminal() && !json ? new PrintWriter(System.err, true) : null);
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
        return Main.EXIT_OK;
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
                .field("verifiedBytes", r.verifiedBytes());
            final String rest = k.toString();
            s.append(", ").append(rest, 1, rest.length() - 1);
            s.append(String.format(Locale.ROOT, ", \"durationSeconds\": %.3f, \"lagMillisP50\": %.3f, \"lagMillisP99\": %.3f, \"lagMillisP999\": %.3f",
                r.durationSeconds(), r.lagMillisP50(), r.lagMillisP99(), r.lagMillisP999()));
            final String tail = new Json().field("verify", r.verify()).field("consistentAtSeq", r.consistentAtSeq())
                .field("lostReports", r.lostReports()).field("tapEvents", r.tapEvents()).toString();
            s.append(", ").append(tail, 1, tail.length());
            out.println(s);
            return;
        }
        out.printf(Locale.ROOT, "replicated into partition '%s'%s in %.1f s%n", r.partition(), r.resumed() ? " (resumed)" : "", r.durationSeconds());
        out.printf(Locale.ROOT, "  planned %s: base %s + growth bound %s (mean %s) at confidence %.3f%n",
            SizeConverter.format(r.plannedPartitionBytes()), SizeConverter.format(r.baseBytes()),
            SizeConverter.format(r.growthUpperBytes()), SizeConverter.format(r.predictedGrowthBytes()), r.confidence());
        out.printf(Locale.ROOT, "  actual growth %s, used %s, extensions %d%n", SizeConverter.format(r.actualGrowthBytes()),
            SizeConverter.format(r.usedBytes()), r.extensions());
        out.printf(Locale.ROOT, "  copied %s, streamed %s, re-copied after checksum comparison %s (compared %s)%n",
            SizeConverter.format(r.copiedBytes()), SizeConverter.format(r.streamedBytes()), SizeConverter.format(r.recopiedBytes()),
            SizeConverter.format(r.verifiedBytes()));
        out.printf(Locale.ROOT, "  lag write->applied p50 %.2f ms, p99 %.2f ms, p99.9 %.2f ms; tap events %d, lost reports %d%n",
            r.lagMillisP50(), r.lagMillisP99(), r.lagMillisP999(), r.tapEvents(), r.lostReports());
        out.printf(Locale.ROOT, "  verify %s; consistent at sequence %d%n", r.verify(), r.consistentAtSeq());
    }
}
