package io.presync.cli;

import io.presync.replicate.Plan;
import io.presync.replicate.ReplicationJob;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.Locale;
import java.util.concurrent.Callable;

/**
 * {@code presync plan --master DEV --pool DEV ...}: the partition-size decision of a replication and
 * every input it used, without tapping, allocating or copying anything.
 */
@Command(name = "plan", mixinStandardHelpOptions = true,
    description = "Prints the partition size a replication would allocate, with every input of the decision.")
public final class PlanCommand implements Callable<Integer>
{
    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @CommandLine.Mixin
    JobOptions jobOptions;

    @Option(names = "--json", description = "Print JSON.")
    boolean json;

    @Option(names = "--log", paramLabel = "DIR",
        description = "The job's write-log directory, read as history too (default: /var/lib/presync/PARTITION).")
    Path logDirectory;

    @Override
    public Integer call() throws IOException
    {
        final Plan plan = ReplicationJob.plan(jobOptions.toJobOptions(logDirectory));
        print(plan, json, spec.commandLine().getOut());
        return Main.EXIT_OK;
    }

    static void print(final Plan p, final boolean json, final PrintWriter out)
    {
        if (json)
        {
            out.println(fields(new Json(), p));
            return;
        }
        out.printf(Locale.ROOT, "plan: partition %s (%d bytes) = min(base %s + buffer %s, max, logical %s), rounded to %s units%n",
            SizeConverter.format(p.partitionBytes()), p.partitionBytes(), SizeConverter.format(p.baseBytes()),
            SizeConverter.format(p.growthUpperBytes()), SizeConverter.format(p.logicalBytes()), SizeConverter.format(p.unitBytes()));
        if (Double.isNaN(p.rateBytesPerSecond()))
        {
            out.printf(Locale.ROOT, "  copy rate %s; horizon unknown%n", p.copyRate().source());
        }
        else
        {
            out.printf(Locale.ROOT, "  copy rate %s/s (%s); horizon %.1f s after %d iteration(s)%n",
                SizeConverter.format((long)p.rateBytesPerSecond()), p.copyRate().source(), p.horizonSeconds(), p.iterations());
        }
        if (!Double.isNaN(p.copyRate().readBytesPerSecond()))
        {
            out.printf(Locale.ROOT, "  probes: master read %s/s, pool write %s%n", SizeConverter.format((long)p.copyRate().readBytesPerSecond()),
                Double.isNaN(p.copyRate().writeBytesPerSecond()) ? "not probed" :
                    SizeConverter.format((long)p.copyRate().writeBytesPerSecond()) + "/s");
        }
        out.printf(Locale.ROOT, "  history %d buckets of %.0f s (%d from the file, %d from the write log); model %s%n",
            p.historyBuckets(), p.intervalSeconds(), p.fileBuckets(), p.logBuckets(), p.model());
        out.println("  history sources: " + p.historySource());
        out.printf(Locale.ROOT, "  new bytes over the horizon: mean %s, bounds [%s, %s] at confidence %.3f%n",
            SizeConverter.format(p.predictedGrowthBytes()), SizeConverter.format(p.growthLowerBytes()),
            SizeConverter.format(p.growthUpperBytes()), p.confidence());
        if (p.note() != null)
        {
            out.println("  note: " + p.note());
        }
    }

    static Json fields(final Json j, final Plan p)
    {
        return j.field("plannedPartitionBytes", p.partitionBytes())
            .field("baseBytes", p.baseBytes())
            .field("logicalBytes", p.logicalBytes())
            .field("rateBytesPerSecond", (long)p.rateBytesPerSecond())
            .field("rateSource", p.copyRate().source())
            .field("probeReadBytesPerSecond", Double.isNaN(p.copyRate().readBytesPerSecond()) ? -1 : (long)p.copyRate().readBytesPerSecond())
            .field("probeWriteBytesPerSecond", Double.isNaN(p.copyRate().writeBytesPerSecond()) ? -1 : (long)p.copyRate().writeBytesPerSecond())
            .field("horizonMillis", (long)(p.horizonSeconds() * 1000))
            .field("historyBuckets", p.historyBuckets())
            .field("historyFileBuckets", p.fileBuckets())
            .field("historyLogBuckets", p.logBuckets())
            .field("intervalSeconds", (long)p.intervalSeconds())
            .field("model", p.model())
            .field("predictedGrowthBytes", p.predictedGrowthBytes())
            .field("growthLowerBytes", p.growthLowerBytes())
            .field("growthUpperBytes", p.growthUpperBytes())
            .field("confidencePermille", Math.round(p.confidence() * 1000))
            .field("unitBytes", p.unitBytes())
            .field("iterations", p.iterations())
            .field("note", p.note());
    }
}
