package io.presync.cli;

import io.presync.stream.WriteEvent;
import io.presync.stream.WriteEventHandler;
import io.presync.stream.WriteLogReader;
import io.presync.stream.WriteOp;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.concurrent.Callable;

/** {@code presync log ...}: reading write logs recorded by {@code presync tap}. */
@Command(
    name = "log",
    mixinStandardHelpOptions = true,
    description = "Reads write logs recorded by 'presync tap'.",
    subcommands = {LogCommand.Dump.class})
public final class LogCommand implements Runnable
{
    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public void run()
    {
        throw new CommandLine.ParameterException(spec.commandLine(), "a subcommand is required (dump)");
    }

    /** Output formats of {@code log dump}. */
    enum Format
    {
        csv, json
    }

    /**
     * {@code presync log dump LOG [--format csv|json]}: prints every record. CSV columns
     * {@code time_ns,offset_bytes,length_bytes,op}; JSON is one object per line with the sequence
     * number and, for LOST records, the lost count ({@code -1} unknown). A log cut by a crash is
     * printed up to its last whole batch and the cut is reported on standard error.
     */
    @Command(
        name = "dump",
        mixinStandardHelpOptions = true,
        description = "Prints the events of a write log as CSV (time_ns,offset_bytes,length_bytes,op) or JSON lines.")
    static final class Dump implements Callable<Integer>
    {
        @CommandLine.Spec
        CommandLine.Model.CommandSpec spec;

        @Parameters(index = "0", paramLabel = "LOG", description = "A write-log directory or one .wlog segment.")
        Path log;

        @Option(names = "--format", defaultValue = "csv", paramLabel = "csv|json",
            description = "Output format (default ${DEFAULT-VALUE}).")
        Format format;

        @Override
        public Integer call() throws Exception
        {
            final PrintWriter out = spec.commandLine().getOut();
            final StringBuilder line = new StringBuilder(128);
            final WriteEventHandler printer = format == Format.csv ? e -> csv(out, line, e) : e -> json(out, line, e);
            if (format == Format.csv)
            {
                out.println("time_ns,offset_bytes,length_bytes,op");
            }
            final WriteLogReader.Result result = WriteLogReader.replay(log, printer);
            out.flush();
            if (result.wasCut())
            {
                final PrintWriter err = spec.commandLine().getErr();
                err.println("presync: " + log + " was cut short (a crash while writing): " + result.cutBytes() +
                    " bytes after the last whole batch were ignored" +
                    (result.cutRecords() >= 0 ? " (" + result.cutRecords() + " records)" : "") + ".");
                err.flush();
            }
            return Main.EXIT_OK;
        }

        private static void csv(final PrintWriter out, final StringBuilder line, final WriteEvent e)
        {
            line.setLength(0);
            line.append(e.timeNanos()).append(',').append(e.offsetBytes()).append(',').append(e.lengthBytes())
                .append(',').append(e.op().name());
            out.println(line);
        }

        private static void json(final PrintWriter out, final StringBuilder line, final WriteEvent e)
        {
            line.setLength(0);
            line.append("{\"sequence\":").append(e.sequence())
                .append(",\"timeNanos\":").append(e.timeNanos())
                .append(",\"offsetBytes\":").append(e.offsetBytes())
                .append(",\"lengthBytes\":").append(e.lengthBytes())
                .append(",\"op\":\"").append(e.op().name()).append('"');
            if (e.op() == WriteOp.LOST)
            {
                line.append(",\"lostCount\":").append(e.lostCount());
            }
            out.println(line.append('}'));
        }
    }
}
