package io.presync.cli;

import io.presync.pool.RepairResult;
import io.presync.pool.Repairer;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.Locale;
import java.util.concurrent.Callable;

/**
 * {@code presync repair --master DEV --pool DEV --partition NAME [--json]}: verifies, re-transfers exactly
 * the mismatching ranges from the master, commits, and verifies those ranges again. Exit codes: 0 when
 * the partition is consistent afterwards (also when nothing needed repair), 1 when the re-verification
 * still finds mismatches (or an I/O failure), 2 refused input.
 */
@Command(name = "repair", mixinStandardHelpOptions = true,
    description = {
        "Verifies a pool partition against its master, re-transfers exactly the mismatching ranges, commits and verifies them again.",
        "The master must be quiesced (no writes in flight). Exit code 0 when consistent afterwards, 1 when mismatches remain, 2 when refused."})
public final class RepairCommand implements Callable<Integer>
{
    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Option(names = "--master", required = true, paramLabel = "DEV", description = "The master volume (opened read-only; may be mounted).")
    Path master;

    @Option(names = "--pool", required = true, paramLabel = "DEV", description = "The pool's block device (opened exclusively).")
    Path pool;

    @Option(names = "--partition", required = true, paramLabel = "NAME", description = "The partition replicating the master.")
    String partition;

    @Option(names = "--json", description = "One JSON object: {consistent, found, repaired: [...], repairedBytes, after: {verify JSON}}.")
    boolean json;

    @Override
    public Integer call() throws IOException
    {
        final long startNanos = System.nanoTime();
        final RepairResult result = Repairer.repair(master, pool, partition);
        final double seconds = (System.nanoTime() - startNanos) / 1e9;
        final PrintWriter out = spec.commandLine().getOut();
        if (json)
        {
            final StringBuilder sb = new StringBuilder(256);
            sb.append("{\"consistent\": ").append(result.consistent())
                .append(", \"checkedBytes\": ").append(result.before().checkedBytes())
                .append(", \"repaired\": ");
            VerifyCommand.appendRanges(sb, result.repaired());
            sb.append(", \"repairedBytes\": ").append(result.repairedBytes())
                .append(", \"after\": ").append(VerifyCommand.toJson(result.after())).append('}');
            out.println(sb);
        }
        else
        {
            if (result.repaired().isEmpty())
            {
                out.printf(Locale.ROOT, "%s: %s checked in %.2f s: consistent, nothing to repair%n", partition,
                    SizeConverter.format(result.before().checkedBytes()), seconds);
            }
            else
            {
                out.printf(Locale.ROOT, "%s: %s checked, %d range%s (%s) re-transferred from the master in %.2f s; re-verified: %s%n",
                    partition, SizeConverter.format(result.before().checkedBytes()), result.repaired().size(),
                    result.repaired().size() == 1 ? "" : "s", SizeConverter.format(result.repairedBytes()), seconds,
                    result.consistent() ? "consistent" : result.after().mismatches().size() + " range(s) still mismatch");
                VerifyCommand.printRanges(out, result.repaired());
                if (!result.consistent())
                {
                    out.println("still mismatching:");
                    VerifyCommand.printRanges(out, result.after().mismatches());
                }
            }
        }
        return result.consistent() ? Main.EXIT_OK : Main.EXIT_FAILURE;
    }
}
