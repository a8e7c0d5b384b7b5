package io.presync.cli;

import io.presync.RefusedException;
import io.presync.device.BlockDevice;
import io.presync.device.OpenOptions;
import io.presync.pool.MasterIdentity;
import io.presync.pool.Partition;
import io.presync.pool.PartitionImport;
import io.presync.pool.PartitionInfo;
import io.presync.pool.Pool;
import io.presync.pool.PoolInfo;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;

/** {@code presync pool ...}: create, inspect and carve the slave storage pool. */
@Command(
    name = "pool",
    description = "Create, list and change the slave storage pool.",
    mixinStandardHelpOptions = true,
    subcommands = {
        PoolCommand.Create.class,
        PoolCommand.ListPartitions.class,
        PoolCommand.Allocate.class,
        PoolCommand.Extend.class,
        PoolCommand.Trim.class,
        PoolCommand.Delete.class,
        PoolCommand.Import.class,
    })
public final class PoolCommand implements Runnable
{
    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public void run()
    {
        throw new CommandLine.ParameterException(spec.commandLine(), "a pool subcommand is required");
    }

    @Command(name = "create", mixinStandardHelpOptions = true,
        description = "Writes a new, empty pool on DEV (refuses a mounted device, and one with a signature unless --force).")
    static final class Create implements Callable<Integer>
    {
        @CommandLine.Spec
        CommandLine.Model.CommandSpec spec;

        @Parameters(index = "0", paramLabel = "DEV", description = "Block device for the pool.")
        Path device;

        @Option(names = "--force", description = "Overwrite a filesystem, partition table or other signature on DEV.")
        boolean force;

        @Option(names = "--unit", paramLabel = "SIZE", converter = SizeConverter.class,
            description = "Allocation unit, a power of two from 64K to 1G (default 1M).")
        long unitBytes = Pool.DEFAULT_UNIT_BYTES;

        @Option(names = "--max-partitions", paramLabel = "N", description = "Partition table size (default 64).")
        int maxPartitions = Pool.DEFAULT_MAX_PARTITIONS;

        @Override
        public Integer call() throws IOException
        {
            try (Pool pool = Pool.create(device, new Pool.CreateOptions(unitBytes, maxPartitions, force)))
            {
                final PoolInfo info = pool.info();
                spec.commandLine().getOut().printf(Locale.ROOT, "created pool %s on %s: %s usable in %d units of %s, up to %d partitions%n",
                    info.poolId(), device, SizeConverter.format(info.usableBytes()), info.unitCount() - info.reservedUnits(),
                    SizeConverter.format(info.unitBytes()), info.maxPartitions());
            }
            return Main.EXIT_OK;
        }
    }

    @Command(name = "list", mixinStandardHelpOptions = true, description = "Shows the pool and its partitions.")
    static final class ListPartitions implements Callable<Integer>
    {
        @CommandLine.Spec
        CommandLine.Model.CommandSpec spec;

        @Option(names = "--pool", required = true, paramLabel = "DEV", description = "The pool's block device.")
        Path device;

        @Option(names = "--json", description = "One JSON object instead of a table.")
        boolean json;

        @Override
        public Integer call() throws IOException
        {
            try (Pool pool = Pool.openReadOnly(device))
            {
                final PrintWriter out = spec.commandLine().getOut();
                final PoolInfo info = pool.info();
                final List<PartitionInfo> partitions = pool.partitions();
                if (json)
                {
                    out.println(toJson(info, partitions));
                }
                else
                {
                    printTable(out, info, partitions);
                }
                if (info.recoveryNote() != null)
                {
                    spec.commandLine().getErr().println("presync: warning: " + info.recoveryNote());
                }
            }
            return Main.EXIT_OK;
        }

        private static void printTable(final PrintWriter out, final PoolInfo info, final List<PartitionInfo> partitions)
        {
            out.printf(Locale.ROOT, "pool %s on %s, generation %d: %s usable, %s free (largest run %s), unit %s, %d of %d partitions%n",
                info.poolId(), info.device(), info.generation(), SizeConverter.format(info.usableBytes()), SizeConverter.format(info.freeBytes()),
                SizeConverter.format(info.largestFreeExtentUnits() * info.unitBytes()), SizeConverter.format(info.unitBytes()),
                info.partitionCount(), info.maxPartitions());
            if (partitions.isEmpty())
            {
                out.println("no partitions");
                return;
            }
            int width = 4;
            for (final PartitionInfo p : partitions)
            {
                width = Math.max(width, p.name().length());
            }
            final String format = "%-" + width + "s  %10s  %10s  %10s  %9s  %10s  %-9s  %8s%n";
            out.printf(Locale.ROOT, format, "NAME", "LOGICAL", "RESERVED", "USED", "OVERHEAD", "EXTENSIONS", "STATE", "SEGMENTS");
            for (final PartitionInfo p : partitions)
            {
                final double overhead = p.overheadPercent();
                out.printf(Locale.ROOT, format, p.name(), SizeConverter.format(p.logicalSizeBytes()), SizeConverter.format(p.reservedBytes()),
                    SizeConverter.format(p.usedBytes()), Double.isFinite(overhead) ? String.format(Locale.ROOT, "%.1f%%", overhead) : "-",
                    p.extensionCount(), p.state(), p.segments().size());
            }
        }

        static String toJson(final PoolInfo info, final List<PartitionInfo> partitions)
        {
            final StringBuilder sb = new StringBuilder(256 + 256 * partitions.size());
            sb.append("{\"device\":").append(quote(info.device()))
                .append(",\"poolId\":").append(quote(info.poolId()))
                .append(",\"generation\":").append(info.generation())
                .append(",\"unitBytes\":").append(info.unitBytes())
                .append(",\"unitCount\":").append(info.unitCount())
                .append(",\"usableBytes\":").append(info.usableBytes())
                .append(",\"freeBytes\":").append(info.freeBytes())
                .append(",\"largestFreeBytes\":").append(info.largestFreeExtentUnits() * info.unitBytes())
                .append(",\"maxPartitions\":").append(info.maxPartitions())
                .append(",\"recoveryNote\":").append(info.recoveryNote() == null ? "null" : quote(info.recoveryNote()))
                .append(",\"partitions\":[");
            for (int i = 0; i < partitions.size(); i++)
            {
                final PartitionInfo p = partitions.get(i);
                final double overhead = p.overheadPercent();
                sb.append(i == 0 ? "" : ",")
                    .append("{\"name\":").append(quote(p.name()))
                    .append(",\"masterId\":").append(quote(p.master().idHex()))
                    .append(",\"logicalBytes\":").append(p.logicalSizeBytes())
                    .append(",\"reservedBytes\":").append(p.reservedBytes())
                    .append(",\"dataBytes\":").append(p.dataBytes())
                    .append(",\"usedBytes\":").append(p.usedBytes())
                    .append(",\"metadataBytes\":").append(p.metadataBytes())
                    .append(",\"extents\":").append(p.extentCount())
                    .append(",\"overheadPercent\":").append(Double.isFinite(overhead) ? String.format(Locale.ROOT, "%.3f", overhead) : "null")
                    .append(",\"extensions\":").append(p.extensionCount())
                    .append(",\"state\":").append(quote(p.state().name()))
                    .append(",\"segments\":[");
                for (int s = 0; s < p.segments().size(); s++)
                {
                    sb.append(s == 0 ? "" : ",").append('[').append(p.segments().get(s).startUnit()).append(',')
                        .append(p.segments().get(s).lengthUnits()).append(']');
                }
                sb.append("]}");
            }
            return sb.append("]}").toString();
        }

        private static String quote(final String s)
        {
            final StringBuilder sb = new StringBuilder(s.length() + 2);
            Json.quote(sb, s);
            return sb.toString();
        }
    }

    /** Options every partition-changing subcommand takes. */
    abstract static class PartitionChange implements Callable<Integer>
    {
        @CommandLine.Spec
        CommandLine.Model.CommandSpec spec;

        @Option(names = "--pool", required = true, paramLabel = "DEV", description = "The pool's block device.")
        Path device;

        // --partition as replicate, verify, repair and export spell it.
        @Option(names = {"--name", "--partition"}, required = true, paramLabel = "NAME",
            description = "Partition name (up to 64 bytes).")
        String name;

        PrintWriter out()
        {
            return spec.commandLine().getOut();
        }

        static String describe(final PartitionInfo p)
        {
            return String.format(Locale.ROOT, "%s: %s reserved (%s for data) in %d segment%s, %d extension%s", p.name(),
                SizeConverter.format(p.reservedBytes()), SizeConverter.format(p.dataBytes()), p.segments().size(), p.segments().size() == 1 ? "" : "s",
                p.extensionCount(), p.extensionCount() == 1 ? "" : "s");
        }
    }

    @Command(name = "allocate", mixinStandardHelpOptions = true,
        description = "Reserves a partition of SIZE data bytes (discarded, then reserved with fallocate).")
    static final class Allocate extends PartitionChange
    {
        @Option(names = "--size", required = true, paramLabel = "SIZE", converter = SizeConverter.class, description = "Data bytes (K, M, G, T).")
        long sizeBytes;

        @Option(names = "--master", paramLabel = "DEV",
            description = "The master this partition replicates (its filesystem UUID, else its loop backing file, else its path, and its size identify it).")
        Path master;

        @Option(names = "--logical-size", paramLabel = "SIZE", converter = SizeConverter.class,
            description = "The master's size when --master is not given (default: SIZE).")
        Long logicalSizeBytes;

        @Override
        public Integer call() throws IOException
        {
            final MasterIdentity identity;
            if (master != null)
            {
                if (!Files.exists(master))
                {
                    throw new RefusedException(master + " does not exist; name the master's block device");
                }
                identity = MasterIdentity.probe(master, sizeOf(master));
            }
            else
            {
                identity = MasterIdentity.of("partition:" + name, logicalSizeBytes == null ? sizeBytes : logicalSizeBytes);
            }
            try (Pool pool = Pool.open(device))
            {
                out().println("allocated " + describe(pool.allocate(name, identity, sizeBytes)));
            }
            return Main.EXIT_OK;
        }

        private static long sizeOf(final Path path) throws IOException
        {
            try (var channel = java.nio.channels.FileChannel.open(path))
            {
                final long size = channel.size();
                if (size > 0 || Files.isRegularFile(path))
                {
                    return size;
                }
            }
            // Block devices report 0 through stat; sysfs knows their size in 512-byte sectors.
            final Path sys = Path.of("/sys/class/block", path.toRealPath().getFileName().toString(), "size");
            return Long.parseLong(Files.readString(sys).strip()) * 512L;
        }
    }

    @Command(name = "extend", mixinStandardHelpOptions = true,
        description = "Adds SIZE data bytes to a partition, adjacent to it when the units there are free.")
    static final class Extend extends PartitionChange
    {
        @Option(names = "--size", required = true, paramLabel = "SIZE", converter = SizeConverter.class, description = "Data bytes to add (K, M, G, T).")
        long sizeBytes;

        @Override
        public Integer call() throws IOException
        {
            try (Pool pool = Pool.open(device))
            {
                out().println("extended " + describe(pool.extend(name, sizeBytes)));
            }
            return Main.EXIT_OK;
        }
    }

    @Command(name = "trim", mixinStandardHelpOptions = true, description = "Gives a partition's unused reserved space back (discard).")
    static final class Trim extends PartitionChange
    {
        @Override
        public Integer call() throws IOException
        {
            try (Pool pool = Pool.open(device))
            {
                out().println("trimmed " + name + ": " + SizeConverter.format(pool.trim(name)) + " given back");
            }
            return Main.EXIT_OK;
        }
    }

    @Command(name = "delete", mixinStandardHelpOptions = true, description = "Deletes a partition and discards its space.")
    static final class Delete extends PartitionChange
    {
        @Override
        public Integer call() throws IOException
        {
            try (Pool pool = Pool.open(device))
            {
                pool.delete(name);
                out().println("deleted " + name);
            }
            return Main.EXIT_OK;
        }
    }

    @Command(name = "import", mixinStandardHelpOptions = true,
        description = "Copies an image or device into a partition (all-zero 4 KiB blocks stay unmapped) and commits.")
    static final class Import extends PartitionChange
    {
        @Option(names = "--from", required = true, paramLabel = "PATH", description = "Source file or block device.")
        Path source;

        @Override
        public Integer call() throws IOException
        {
            final long startNanos = System.nanoTime();
            final long dataBytes;
            final long sourceBytes;
            try (Pool pool = Pool.open(device);
                 Partition partition = pool.openPartition(name);
                 BlockDevice in = BlockDevice.open(source, OpenOptions.forReading().withAllowRegularFile(true)))
            {
                sourceBytes = in.sizeBytes();
                dataBytes = PartitionImport.importFrom(partition, in);
            }
            final double seconds = (System.nanoTime() - startNanos) / 1e9;
            out().printf(Locale.ROOT, "imported %s into %s: %s read, %s data written, %.2f s (%s/s)%n", source, name,
                SizeConverter.format(sourceBytes), SizeConverter.format(dataBytes), seconds,
                SizeConverter.format((long)(sourceBytes / Math.max(seconds, 1e-9))));
            return Main.EXIT_OK;
        }
    }
}
