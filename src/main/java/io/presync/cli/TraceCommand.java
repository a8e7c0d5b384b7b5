package io.presync.cli;

import io.presync.stream.TraceFormat;
import io.presync.stream.TraceReader;
import io.presync.stream.WriteAggregator;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.concurrent.Callable;

/** {@code presync trace ...}: working with block traces. */
@Command(
    name = "trace",
    mixinStandardHelpOptions = true,
    description = "Works with block traces (blkparse, CloudPhysics, MSR Cambridge, presync write logs).",
    subcommands = {TraceCommand.Aggregate.class})
public final class TraceCommand implements Runnable
{
    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public void run()
    {
        throw new CommandLine.ParameterException(spec.commandLine(), "a subcommand is required (aggregate)");
    }

    /**
     * {@code presync trace aggregate --in FILE --format F --interval 30m --out series.csv [--skip-bad]}:
     * the per-interval series the forecaster learns from, columns
     * {@code ts_us,write_bytes,new_bytes,write_requests} (ts_us = interval end).
     */
    @Command(
        name = "aggregate",
        mixinStandardHelpOptions = true,
        description = "Writes the per-interval series ts_us,write_bytes,new_bytes,write_requests of a trace "
            + "(ts_us is each interval's end; new_bytes counts 4 KiB blocks written for the first time).")
    static final class Aggregate implements Callable<Integer>
    {
        @CommandLine.Spec
        CommandLine.Model.CommandSpec spec;

        @Option(names = "--in", required = true, paramLabel = "FILE", description = "The trace (or write-log directory).")
        Path in;

        @Option(names = "--format", required = true, paramLabel = "FORMAT",
            description = "blkparse, cloudphysics, msr or log.")
        String format;

        @Option(names = "--interval", defaultValue = "30m", paramLabel = "D", converter = DurationConverter.class,
            description = "Interval length (s, m, h suffixes; default 30m).")
        long intervalNanos;

        @Option(names = "--out", required = true, paramLabel = "CSV", description = "Where to write the series.")
        Path out;

        @Option(names = "--skip-bad", description = "Skip and count malformed lines instead of stopping at the first.")
        boolean skipBad;

        @Override
        public Integer call() throws Exception
        {
            final TraceFormat traceFormat = TraceFormat.of(format);
            try (WriteAggregator aggregator = new WriteAggregator(intervalNanos, 1 << 20, null))
            {
                return aggregate(traceFormat, aggregator);
            }
        }

        private int aggregate(final TraceFormat traceFormat, final WriteAggregator aggregator) throws java.io.IOException
        {
            final TraceReader.Summary summary = TraceReader.read(in, traceFormat, skipBad, aggregator);
            aggregator.writeCsv(out);
            final PrintWriter stdout = spec.commandLine().getOut();
            long writeBytes = 0;
            long newBytes = 0;
            for (int i = 0; i < aggregator.intervals(); i++)
            {
                writeBytes += aggregator.writeBytes(i);
                newBytes += aggregator.newBytes(i);
            }
            stdout.println("read " + in + ": " + summary.events() + " events, " + summary.reads() + " reads skipped" +
                (skipBad ? ", " + summary.badLines() + " malformed lines skipped" : "") +
                (aggregator.lostReports() > 0 ? ", " + aggregator.lostReports() + " LOST records (writes unknown there)" : "") +
                (summary.log() != null && summary.log().wasCut() ? ", log cut short by " + summary.log().cutBytes() + " bytes" : ""));
            stdout.println("wrote " + aggregator.intervals() + " intervals to " + out + ": " +
                SizeConverter.format(writeBytes) + " written, " + SizeConverter.format(newBytes) + " newly allocated");
            return Main.EXIT_OK;
        }
    }
}
