package io.presync.jmh.pool;

import io.presync.device.BlockDevice;
import io.presync.device.OpenOptions;
import io.presync.pool.MasterIdentity;
import io.presync.pool.Partition;
import io.presync.pool.Pool;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
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
import java.io.RandomAccessFile;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;

/**
 * Writes into a pool partition ({@code impl=partition}: data, CRC32C per 4 KiB, extent map) against
 * the same synchronous O_DIRECT writes to the raw device at the same offsets ({@code impl=raw}), on a
 * pool file in /dev/shm so the figure is the software overhead, not a disk. One operation writes one
 * buffer of {@code blockBytes}; {@code pattern=random} picks aligned offsets uniformly over the
 * logical size, {@code sequential} walks it (wrapping: later passes are in-place overwrites).
 * Commits are not included (one per trial at tear-down).
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Warmup(iterations = 2, time = 1)
@Measurement(iterations = 3, time = 2)
@Fork(value = 1, jvmArgsAppend = {"-Xmx1g", "--enable-native-access=ALL-UNNAMED"})
public class PoolWriteBenchmark
{
    private static final long LOGICAL_BYTES = 256L << 20;

    @Param({"partition", "raw"})
    public String impl;

    @Param({"random", "sequential"})
    public String pattern;

    @Param({"4096", "1048576"})
    public int blockBytes;

    private Path folder;
    private Pool pool;
    private Partition partition;
    private BlockDevice raw;
    private Arena arena;
    private MemorySegment buffer;
    private SplittableRandom random;
    private long next;
    private long rawBase;

    @Setup
    public void setUp() throws IOException
    {
        folder = Files.createTempDirectory(Files.isDirectory(Path.of("/dev/shm")) ? Path.of("/dev/shm") : Path.of("/tmp"), "presync-jmh-pool-");
        final Path device = folder.resolve("pool.img");
        try (RandomAccessFile file = new RandomAccessFile(device.toFile(), "rw"))
        {
            file.setLength(LOGICAL_BYTES + (64L << 20));
        }
        arena = Arena.ofShared();
        buffer = BlockDevice.allocateAligned(arena, blockBytes, 4096);
        for (long i = 0; i < blockBytes; i += 8)
        {
            buffer.set(java.lang.foreign.ValueLayout.JAVA_LONG, i, i * 0x9E3779B97F4A7C15L);
        }
        random = new SplittableRandom(42);
        if (impl.equals("partition"))
        {
            pool = Pool.create(device, Pool.CreateOptions.defaults().withForce(true));
            pool.allocate("bench", MasterIdentity.of("bench", LOGICAL_BYTES), LOGICAL_BYTES + (4L << 20));
            partition = pool.openPartition("bench");
        }
        else
        {
            raw = BlockDevice.open(device, OpenOptions.forWriting().withAllowRegularFile(true));
            rawBase = 2L << 20; // past where a pool's header would be
        }
    }

    @Benchmark
    public void write() throws IOException
    {
        final long blocks = LOGICAL_BYTES / blockBytes;
        final long offset;
        if (pattern.equals("random"))
        {
            offset = random.nextLong(blocks) * blockBytes;
        }
        else
        {
            offset = next;
            next = (next + blockBytes) % (blocks * blockBytes);
        }
        if (partition != null)
        {
            partition.write(offset, buffer);
        }
        else
        {
            raw.write(buffer, rawBase + offset);
        }
    }

    @TearDown
    public void tearDown() throws IOException
    {
        if (partition != null)
        {
            partition.commit();
            partition.close();
            pool.close();
        }
        if (raw != null)
        {
            raw.close();
        }
        arena.close();
        try (var files = Files.walk(folder))
        {
            files.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        }
    }
}
