package io.presync.cli;

import io.presync.pool.ExportResult;
import io.presync.pool.Pool;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.io.IOException;
import java.nio.file.Path;
import java.util.Locale;
import java.util.concurrent.Callable;

/**
 * {@code presync export --pool DEV --partition NAME --to PATH}: the partition's full logical image,
 * unmapped ranges as holes (files) or discarded (devices), every block's CRC checked.
 */
@Command(name = "export", mixinStandardHelpOptions = true,
    description = "Writes a pool partition as a full image to a file (sparse) or block device.")
public final class ExportCommand implements Callable<Integer>
{
    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Option(names = "--pool", required = true, paramLabel = "DEV", description = "The pool's block device.")
    Path pool;

    @Option(names = "--partition", required = true, paramLabel = "NAME", description = "The partition to export.")
    String partition;

    @Option(names = "--to", required = true, paramLabel = "PATH", description = "Target file or block device.")
    Path target;

    @Option(names = "--force", description = "Overwrite an existing, non-empty target file, or a target device that " +
        "holds a filesystem, a pool or another known signature, or is the partition's own master (a restore).")
    boolean force;

    @Override
    public Integer call() throws IOException
    {
        final long startNanos = System.nanoTime();
        try (Pool opened = Pool.openReadOnly(pool))
        {
            final ExportResult result = TerminalProgress.run(spec.commandLine().getErr(), "export", Main.onTerminal(),
                progress -> opened.export(partition, target, force, progress));
            final double seconds = (System.nanoTime() - startNanos) / 1e9;
            spec.commandLine().getOut().printf(Locale.ROOT, "exported %s to %s: %s image, %s data, %s holes, %.2f s (%s/s)%n",
                partition, target, SizeConverter.format(result.logicalBytes()), SizeConverter.format(result.dataBytes()),
                SizeConverter.format(result.holeBytes()), seconds, SizeConverter.format((long)(result.dataBytes() / Math.max(seconds, 1e-9))));
        }
        return Main.EXIT_OK;
    }
}
