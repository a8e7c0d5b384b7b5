package io.presync.jmh.pool;

import io.presync.device.BlockDevice;
import io.presync.device.OpenOptions;
import io.presync.pool.ExportResult;
import io.presync.pool.MasterIdentity;
import io.presync.pool.Partition;
import io.presync.pool.PartitionImport;
import io.presync.pool.Pool;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

import java.io.IOException;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

/**
 * The import and export data paths in a warm JVM: one operation imports the whole source device into
 * a new, empty partition of the pool device ({@link PartitionImport#importFrom}: read, zero scan,
 * CRC32C + hash, ring writes, commit), or exports that partition to a file ({@link Pool#export}:
 * ring reads, CRC check, ring writes, flush). Partition allocation (discard + reserve) is outside the
 * timed part. What the whole-process figures of {@code scripts/bench pool} add on top is fixed cost:
 * JVM start, pool open, the first io_uring set-up with its FFM linkage, JIT warm-up. Needs
 * {@code -p device=POOL -p source=SOURCE -p target=FILE} (the pool device is overwritten).
 */
@BenchmarkMode(Mode.SingleShotTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Warmup(iterations = 2)
@Measurement(iterations = 3)
@Fork(value = 1, jvmArgsAppend = {"-Xmx1g", "--enable-native-access=ALL-UNNAMED"})
public class PoolCopyBenchmark
{
    private static final String NAME = "vm";

    /** The pool (created fresh), the source to import and the export target. */
    @State(Scope.Benchmark)
    public static class Devices
    {
        @Param({""})
        public String device;

        @Param({""})
        public String source;

        @Param({""})
        public String target;

        Pool pool;
        BlockDevice in;
        long logicalBytes;

        @Setup(Level.Trial)
        public void open() throws IOException
        {
            in = BlockDevice.open(Path.of(source), OpenOptions.forReading().withAllowRegularFile(true));
            logicalBytes = in.sizeBytes();
            pool = Pool.create(Path.of(device), Pool.CreateOptions.defaults().withForce(true));
        }

        /** An empty partition named {@value #NAME} for the source (the old one deleted). */
        Partition freshPartition() throws IOException
        {
            if (pool.partition(NAME).isPresent())
            {
                pool.delete(NAME);
            }
            pool.allocate(NAME, MasterIdentity.of(NAME, logicalBytes), logicalBytes);
            return pool.openPartition(NAME);
        }

        @TearDown(Level.Trial)
        public void close() throws IOException
        {
            pool.close();
            in.close();
        }
    }

    /** A new, empty partition before each import. */
    @State(Scope.Benchmark)
    public static class Empty
    {
        Partition partition;

        @Setup(Level.Invocation)
        public void allocate(final Devices devices) throws IOException
        {
            partition = devices.freshPartition();
        }

        @TearDown(Level.Invocation)
        public void close()
        {
            partition.close();
        }
    }

    /** The partition holding the whole source, for exports. */
    @State(Scope.Benchmark)
    public static class Filled
    {
        @Setup(Level.Trial)
        public void fill(final Devices devices) throws IOException
        {
            try (Partition partition = devices.freshPartition())
            {
                PartitionImport.importFrom(partition, devices.in);
            }
        }
    }

    @Benchmark
    public long importSource(final Devices devices, final Empty empty) throws IOException
    {
        return PartitionImport.importFrom(empty.partition, devices.in);
    }

    @Benchmark
    public ExportResult exportPartition(final Devices devices, final Filled filled) throws IOException
    {
        return devices.pool.export(NAME, Path.of(devices.target), true);
    }
}
