package io.presync.jmh.pool;

import io.presync.device.BlockDevice;
import io.presync.device.OpenOptions;
import io.presync.pool.MasterIdentity;
import io.presync.pool.Partition;
import io.presync.pool.Pool;
import org.openjdk.jmh.annotations.AuxCounters;
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
import java.io.RandomAccessFile;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;

/**
 * Writes into a pool partition against the raw device at the same offsets:
 * <ul>
 *   <li>{@code impl=partition}: {@link Partition#write} (synchronous: submit through the partition's ring
 *       and wait; data, CRC32C + hash per 4 KiB, extent map);</li>
 *   <li>{@code impl=async}: {@link Partition#submitWrite} from {@value #QUEUE_DEPTH} registered buffers,
 *       each write taking whichever buffer's write completed first and waiting only when all are in flight
 *       (as fio keeps its queue depth; waiting for the buffers strictly in turn stalled behind one slow
 *       write with others already done);</li>
 *   <li>{@code impl=raw}: synchronous O_DIRECT pwrite to the device.</li>
 * </ul>
 * On a pool file in /dev/shm by default (the figure is the software overhead, not a disk), or on the
 * block device given with {@code -p device=/dev/loopN} (overwritten!: {@code scripts/bench pool} compares
 * with fio on the same device). One operation writes one buffer of {@code blockBytes};
 * {@code pattern=random} picks aligned offsets uniformly over the logical size, {@code sequential} walks
 * it (wrapping: later passes are in-place overwrites). Commits are not included (one per trial at
 * tear-down). With {@code -prof gc} the partition rows show the data path's allocation per write.
 * The secondary result {@code cpuMicrosPerWrite} is the benchmark thread's CPU time (user + system, so
 * the io_uring submissions included) per write: unlike the rate it hardly moves when other jobs share
 * the machine, and fio reports the same for itself.
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

    /** Followed by the fork's pid and a dash: see {@link #removeAbandonedFolders}. */
    private static final String FOLDER_PREFIX = "presync-jmh-pool-";

    private static final int QUEUE_DEPTH = 16;

    @Param({"partition", "async", "raw"})
    public String impl;

    /** A block device to run on (its contents are destroyed); empty: a file in /dev/shm. */
    @Param({""})
    public String device;

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
    private MemorySegment[] buffers;
    private final int[] freeSlots = new int[QUEUE_DEPTH];
    private int freeSlotCount;
    private SplittableRandom random;
    private long next;
    private long rawBase;

    @Setup
    public void setUp() throws IOException
    {
        final Path device;
        if (this.device.isEmpty())
        {
            final Path parent = Files.isDirectory(Path.of("/dev/shm")) ? Path.of("/dev/shm") : Path.of("/tmp");
            removeAbandonedFolders(parent);
            folder = Files.createTempDirectory(parent, FOLDER_PREFIX + ProcessHandle.current().pid() + "-");
            device = folder.resolve("pool.img");
            try (RandomAccessFile file = new RandomAccessFile(device.toFile(), "rw"))
            {
                file.setLength(LOGICAL_BYTES + (64L << 20));
            }
        }
        else
        {
            device = Path.of(this.device);
        }
        arena = Arena.ofShared();
        buffers = new MemorySegment[QUEUE_DEPTH];
        for (int b = 0; b < QUEUE_DEPTH; b++)
        {
            buffers[b] = BlockDevice.allocateAligned(arena, blockBytes, 4096);
            freeSlots[freeSlotCount++] = b;
            for (long i = 0; i < blockBytes; i += 8)
            {
                buffers[b].set(java.lang.foreign.ValueLayout.JAVA_LONG, i, (i + b) * 0x9E3779B97F4A7C15L);
            }
        }
        buffer = buffers[0];
        random = new SplittableRandom(42);
        if (!impl.equals("raw"))
        {
            pool = Pool.create(device, Pool.CreateOptions.defaults().withForce(true));
            pool.allocate("bench", MasterIdentity.of("bench", LOGICAL_BYTES), LOGICAL_BYTES + (4L << 20));
            partition = pool.openPartition("bench");
            partition.registerBuffers(buffers);
            partition.completionHandler(this::onWritten);
        }
        else
        {
            raw = BlockDevice.open(device, OpenOptions.forWriting().withAllowRegularFile(true));
            rawBase = 2L << 20; // past where a pool's header would be
        }
    }

    @Benchmark
    public void write(final Cpu cpu) throws IOException
    {
        cpu.writes++;
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
        if (impl.equals("async"))
        {
            while (freeSlotCount == 0)
            {
                partition.awaitCompletion();
            }
            final int b = freeSlots[--freeSlotCount];
            partition.submitWrite(offset, buffers[b], b, b);
        }
        else if (partition != null)
        {
            partition.write(offset, buffer);
        }
        else
        {
            raw.write(buffer, rawBase + offset);
        }
    }

    /** CPU time of the benchmark thread per write in each iteration (see the class comment). */
    @State(Scope.Thread)
    @AuxCounters(AuxCounters.Type.EVENTS)
    public static class Cpu
    {
        private static final java.lang.management.ThreadMXBean THREADS = java.lang.management.ManagementFactory.getThreadMXBean();

        public double cpuMicrosPerWrite;
        long writes;
        private long startNanos;

        @Setup(Level.Iteration)
        public void start()
        {
            writes = 0;
            startNanos = THREADS.getCurrentThreadCpuTime();
        }

        @TearDown(Level.Iteration)
        public void stop()
        {
            cpuMicrosPerWrite = writes == 0 ? 0 : (THREADS.getCurrentThreadCpuTime() - startNanos) / 1e3 / writes;
        }
    }

    private void onWritten(final long userData)
    {
        freeSlots[freeSlotCount++] = (int)userData;
    }

    @TearDown
    public void tearDown() throws IOException
    {
        if (partition != null)
        {
            partition.drain();
            partition.commit();
            partition.close();
            pool.close();
        }
        if (raw != null)
        {
            raw.close();
        }
        arena.close();
        if (folder != null)
        {
            deleteTree(folder);
        }
    }

    /**
     * Deletes the pool folders of benchmark forks that no longer run: a fork killed by an aborted run (JMH's
     * timeout, Ctrl-C) never reaches its tear-down, and each folder holds a 320 MiB pool file in /dev/shm.
     * The folder's name carries its fork's pid; a folder whose process is gone is abandoned.
     */
    private static void removeAbandonedFolders(final Path parent) throws IOException
    {
        try (var entries = Files.list(parent))
        {
            for (final Path entry : (Iterable<Path>)entries::iterator)
            {
                final String name = entry.getFileName().toString();
                if (!name.startsWith(FOLDER_PREFIX))
                {
                    continue;
                }
                final String rest = name.substring(FOLDER_PREFIX.length());
                final int dash = rest.indexOf('-');
                final long pid;
                try
                {
                    pid = Long.parseLong(dash < 0 ? rest : rest.substring(0, dash));
                }
                catch (final NumberFormatException ex)
                {
                    continue; // not one of ours (or from before folders carried a pid): leave it
                }
                if (ProcessHandle.of(pid).isEmpty())
                {
                    deleteTree(entry);
                }
            }
        }
    }

    private static void deleteTree(final Path root) throws IOException
    {
        try (var files = Files.walk(root))
        {
            files.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        }
    }
}
