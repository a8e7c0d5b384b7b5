package io.presync.cli;

import io.presync.pool.Mismatch;
import io.presync.pool.PartitionInfo;
import io.presync.pool.PartitionState;
import io.presync.pool.Pool;
import io.presync.pool.Verifier;
import io.presync.pool.VerifyResult;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;

/**
 * {@code presync verify --master DEV --pool DEV --partition NAME [--json]}: compares the partition's
 * stored CRC32Cs with the slave's data and with the master's data. Exit codes: 0 consistent, 1
 * mismatches found (or an I/O failure), 2 refused input.
 */
@Command(name = "verify", mixinStandardHelpOptions = true,
    description = {
        "Checks a pool partition against its master at a consistent point (master quiesced, no writes in flight):",
        "each 4 KiB block's stored CRC32C against the slave's data (slave-corrupt) and the master's data (master-differs).",
        "Exit code 0 when consistent, 1 when mismatches are found, 2 when the input is refused."})
public final class VerifyCommand implements Callable<Integer>
{
    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Option(names = "--master", required = true, paramLabel = "DEV", description = "The master volume (opened read-only; may be mounted).")
    Path master;

    @Option(names = "--pool", required = true, paramLabel = "DEV", description = "The pool's block device.")
    Path pool;

    @Option(names = "--partition", required = true, paramLabel = "NAME", description = "The partition replicating the master.")
    String partition;

    @Option(names = "--json", description = "One JSON object: {consistent, mismatches: [{offsetBytes, lengthBytes, kind}], checkedBytes}.")
    boolean json;

    @Override
    public Integer call() throws IOException
    {
        final long startNanos = System.nanoTime();
        final VerifyResult result = TerminalProgress.run(spec.commandLine().getErr(), "verify", !json && Main.onTerminal(),
            progress -> Verifier.verify(master, pool, partition, progress));
        final PrintWriter out = spec.commandLine().getOut();
        if (json)
        {
            out.println(toJson(result));
        }
        else
        {
            printSummary(out, partition, result, (System.nanoTime() - startNanos) / 1e9);
            if (result.mismatchBytes(Mismatch.Kind.MASTER_DIFFERS) > 0)
            {
                // A partition whose initial sync has not finished differs wherever it has not copied yet: expected, not a fault.
                final PartitionState state;
                try (Pool opened = Pool.openReadOnly(pool))
                {
                    state = opened.partition(partition).map(PartitionInfo::state).orElse(PartitionState.SYNCED);
                }
                if (state == PartitionState.ALLOCATED || state == PartitionState.COPYING)
                {
                    out.printf(Locale.ROOT, "note: partition '%s' is %s, its initial sync not finished: what it has not copied yet " +
                        "differs from the master; 'presync replicate' with the same devices and --partition finishes it%n", partition, state);
                }
            }
        }
        return result.consistent() ? Main.EXIT_OK : Main.EXIT_FAILURE;
    }

    static void printSummary(final PrintWriter out, final String partition, final VerifyResult result, final double seconds)
    {
        out.printf(Locale.ROOT, "%s: %s checked in %.2f s: %s%n", partition, SizeConverter.format(result.checkedBytes()), seconds,
            result.consistent() ? "consistent" : String.format(Locale.ROOT, "%d mismatching range%s (%s slave-corrupt, %s master-differs)",
                result.mismatches().size(), result.mismatches().size() == 1 ? "" : "s",
                SizeConverter.format(result.mismatchBytes(Mismatch.Kind.SLAVE_CORRUPT)),
                SizeConverter.format(result.mismatchBytes(Mismatch.Kind.MASTER_DIFFERS))));
        printRanges(out, result.mismatches());
    }

    static void printRanges(final PrintWriter out, final List<Mismatch> ranges)
    {
        for (final Mismatch m : ranges)
        {
            out.printf(Locale.ROOT, "  %-14s offset %d, %d bytes (%s)%n", m.kind().label(), m.offsetBytes(), m.lengthBytes(),
                SizeConverter.format(m.lengthBytes()));
        }
    }

    static String toJson(final VerifyResult result)
    {
        final StringBuilder sb = new StringBuilder(64 + 80 * result.mismatches().size());
        sb.append("{\"consistent\": ").append(result.consistent()).append(", \"mismatches\": ");
        appendRanges(sb, result.mismatches());
        return sb.append(", \"checkedBytes\": ").append(result.checkedBytes()).append('}').toString();
    }

    static void appendRanges(final StringBuilder sb, final List<Mismatch> ranges)
    {
        sb.append('[');
        for (int i = 0; i < ranges.size(); i++)
        {
            final Mismatch m = ranges.get(i);
            sb.append(i == 0 ? "" : ", ").append("{\"offsetBytes\": ").append(m.offsetBytes())
                .append(", \"lengthBytes\": ").append(m.lengthBytes())
                .append(", \"kind\": ").append(Json.quote(m.kind().label())).append('}');
        }
        sb.append(']');
    }
}
