package io.presync.cli;

import io.presync.RefusedException;
import io.presync.device.BlockDevice;
import io.presync.device.OpenOptions;
import io.presync.pool.Partition;
import io.presync.pool.Pool;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import java.util.concurrent.Callable;

/**
 * {@code presync pool import --master DEV --pool DEV --partition NAME}: a one-shot, offline copy of a
 * quiesced master into an allocated partition: sequential 4 MiB direct reads, all-zero 4 KiB blocks
 * left unmapped (they read as zeros), the rest written through the partition's data path (CRC32C
 * per block), one commit at the end. No change tracking and no io_uring pipeline: a baseline and a
 * test fixture, not the replication job ({@code presync replicate}).
 */
@Command(name = "import", mixinStandardHelpOptions = true,
    description = {"Copies a quiesced master into an allocated partition once (offline; zero blocks stay unmapped).",
        "A baseline and test fixture; 'presync replicate' is the live replication."})
public final class PoolImportCommand implements Callable<Integer>
{
    private static final int CHUNK_BYTES = 4 << 20;
    private static final int BLOCK = 4096;

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Option(names = "--master", required = true, paramLabel = "DEV", description = "The master (read-only; must be quiesced).")
    Path master;

    @Option(names = "--pool", required = true, paramLabel = "DEV", description = "The pool's block device.")
    Path pool;

    @Option(names = "--partition", required = true, paramLabel = "NAME", description = "An allocated partition (presync pool allocate).")
    String partition;

    @Override
    public Integer call() throws IOException
    {
        if (!Files.exists(master))
        {
            throw new RefusedException(master + " does not exist; name the master's block device with --master");
        }
        final long startNanos = System.nanoTime();
        long dataBytes = 0;
        final long sizeBytes;
        try (BlockDevice source = BlockDevice.open(master, OpenOptions.forReading().withAllowRegularFile(true));
             Pool opened = Pool.open(pool);
             Partition target = opened.openPartition(partition);
             Arena arena = Arena.ofConfined())
        {
            sizeBytes = source.sizeBytes() / BLOCK * BLOCK;
            if (source.sizeBytes() != target.logicalSizeBytes())
            {
                throw new RefusedException(master + " holds " + source.sizeBytes() + " bytes but partition '" + partition +
                    "' replicates a master of " + target.logicalSizeBytes() + " bytes; name the master it replicates");
            }
            final MemorySegment buffer = BlockDevice.allocateAligned(arena, CHUNK_BYTES, BLOCK);
            final MemorySegment zeros = arena.allocate(BLOCK);
            for (long offset = 0; offset < sizeBytes; offset += CHUNK_BYTES)
            {
                final int length = (int)Math.min(CHUNK_BYTES, sizeBytes - offset);
                source.read(buffer.asSlice(0, length), offset);
                int runStart = -1;
                for (int at = 0; at <= length; at += BLOCK)
                {
                    final boolean data = at < length && MemorySegment.mismatch(buffer, at, at + BLOCK, zeros, 0, BLOCK) >= 0;
                    if (data && runStart < 0)
                    {
                        runStart = at;
                    }
                    else if (!data && runStart >= 0)
                    {
                        target.write(offset + runStart, buffer.asSlice(runStart, at - runStart));
                        dataBytes += at - runStart;
                        runStart = -1;
                    }
                }
            }
            target.commit();
        }
        final double seconds = (System.nanoTime() - startNanos) / 1e9;
        spec.commandLine().getOut().printf(Locale.ROOT, "imported %s into %s: %s data of %s in %.2f s%n", master, partition,
            SizeConverter.format(dataBytes), SizeConverter.format(sizeBytes), seconds);
        return Main.EXIT_OK;
    }
}
