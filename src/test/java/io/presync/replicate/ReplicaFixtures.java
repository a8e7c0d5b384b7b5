package io.presync.replicate;

import io.presync.device.BlockDevice;
import io.presync.device.LoopDevices;
import io.presync.device.OpenOptions;
import io.presync.ffi.Libc;
import io.presync.pool.Pool;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.locks.LockSupport;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * What the replication tests that crash, starve or unplug a job share: random master data, a job in a
 * child JVM and its SIGKILL, a random writer until stopped, a writer at a fixed rate, the export-equals-master check, and a loop
 * device whose capacity drops as a hot-unplugged disk's does.
 */
final class ReplicaFixtures
{
    private static final long LOOP_SET_STATUS64 = 0x4C04;
    private static final long LOOP_GET_STATUS64 = 0x4C05;
    /** struct loop_info64: lo_device, lo_inode, lo_rdevice, lo_offset, then lo_sizelimit (all u64). */
    private static final long LO_SIZELIMIT_OFFSET = 32;
    private static final long LOOP_INFO64_BYTES = 232;
    /** _IOR('X', 125, __u32): ext4's (and xfs's) forced shutdown, as xfstests' godown uses it. */
    private static final long EXT4_IOC_SHUTDOWN = 0x8004587DL;
    private static final int EXT4_GOING_FLAGS_DEFAULT = 0;

    private ReplicaFixtures()
    {
    }

    static void fillRandom(final MemorySegment buffer, final Random random)
    {
        for (long i = 0; i < buffer.byteSize(); i += 8)
        {
            buffer.set(ValueLayout.JAVA_LONG, i, random.nextLong());
        }
    }

    /** Writes {@code bytes} of seeded random data at {@code at} (not exclusively: a job may be reading). */
    static void writeRandom(final Path device, final long at, final long bytes, final long seed) throws IOException
    {
        try (BlockDevice dev = BlockDevice.open(device, OpenOptions.forWriting().withExclusive(false)); Arena arena = Arena.ofConfined())
        {
            final MemorySegment buffer = BlockDevice.allocateAligned(arena, bytes, 4096);
            fillRandom(buffer, new Random(seed));
            dev.write(buffer, at);
        }
    }

    /**
     * Starts a thread that writes random 4-64 KiB pieces at random 4 KiB-aligned offsets of the first
     * {@code deviceBytes} of a device (not exclusively: a job taps it), pausing {@code pauseMillis} after
     * each, until {@code stop} is set; join it after setting {@code stop}.
     */
    static Thread startRandomWriter(
        final Path device, final long deviceBytes, final AtomicBoolean stop, final long seed, final long pauseMillis)
    {
        final Thread t = new Thread(() ->
        {
            final Random random = new Random(seed);
            try (BlockDevice dev = BlockDevice.open(device, OpenOptions.forWriting().withExclusive(false)); Arena arena = Arena.ofConfined())
            {
                final MemorySegment buffer = BlockDevice.allocateAligned(arena, 64 * 1024, 4096);
                while (!stop.get())
                {
                    final int blocks = 1 + random.nextInt(16);
                    final long at = 4096L * random.nextInt((int)(deviceBytes / 4096) - blocks);
                    fillRandom(buffer, random);
                    dev.write(buffer.asSlice(0, blocks * 4096L), at);
                    Thread.sleep(pauseMillis);
                }
            }
            catch (final Exception ex)
            {
                throw new RuntimeException(ex);
            }
        });
        t.start();
        return t;
    }

    /**
     * Starts {@code main} in a child JVM on this test's class path (C1 only and the serial GC: it starts
     * fast); its standard output and error go to the given files (null: inherited error, piped output).
     */
    static Process startJava(final Class<?> main, final Path stdout, final Path stderr, final String... args) throws IOException
    {
        final String[] command = new String[9 + args.length];
        command[0] = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        command[1] = "--enable-native-access=ALL-UNNAMED";
        command[2] = "--add-exports";
        command[3] = "java.base/jdk.internal.misc=ALL-UNNAMED";
        command[4] = "-XX:+UseSerialGC";
        command[5] = "-XX:TieredStopAtLevel=1";
        command[6] = "-cp";
        command[7] = System.getProperty("java.class.path");
        command[8] = main.getName();
        System.arraycopy(args, 0, command, 9, args.length);
        final ProcessBuilder builder = new ProcessBuilder(command);
        builder.redirectError(stderr == null ? ProcessBuilder.Redirect.INHERIT : ProcessBuilder.Redirect.to(stderr.toFile()));
        if (stdout != null)
        {
            builder.redirectOutput(stdout.toFile());
        }
        return builder.start();
    }

    /** SIGKILL, as a power cut or the OOM killer would end the job, and waits until it is gone. */
    static void kill(final Process child) throws Exception
    {
        LoopDevices.run("kill", "-KILL", Long.toString(child.pid()));
        assertTrue(child.waitFor(30, TimeUnit.SECONDS), "the killed child did not exit");
    }

    /** Exports the committed partition and compares it byte for byte with the master's backing file. */
    static void assertExportEqualsMaster(final LoopDevices.Loop master, final Path pool, final String partition, final Path image)
        throws IOException
    {
        try (Pool opened = Pool.openReadOnly(pool))
        {
            opened.export(partition, image, true);
        }
        final byte[] expected = Files.readAllBytes(master.backingFile());
        final byte[] actual = Files.readAllBytes(image);
        assertEquals(expected.length, actual.length);
        assertEquals(-1, Arrays.mismatch(expected, actual), "first byte where the export differs from the master");
        Files.delete(image);
    }

    /**
     * The job options the replication tests start from: the devices, the partition, the write-log directory,
     * and an assumed copy rate of 200 MB/s (no probe). Tests add what they exercise.
     */
    static ReplicationJob.Options jobOptions(final LoopDevices.Loop master, final LoopDevices.Loop pool, final String partition,
        final Path logDirectory)
    {
        final ReplicationJob.Options o = new ReplicationJob.Options();
        o.master = master.device();
        o.pool = pool.device();
        o.partition = partition;
        o.logDirectory = logDirectory;
        o.assumedRateBytesPerSecond = 200e6;
        return o;
    }

    /**
     * Sets a loop device's size limit (LOOP_SET_STATUS64 lo_sizelimit) while it stays attached and open:
     * a small limit makes the device look as a hot-unplugged disk does to its openers (capacity gone,
     * reads end early, writes fail), 0 gives it its whole backing file again, data untouched.
     */
    static void limitLoopCapacity(final Path loop, final long sizeLimitBytes) throws IOException
    {
        final int fd = Libc.open(loop.toString(), Libc.O_RDONLY | Libc.O_CLOEXEC, 0);
        try (Arena arena = Arena.ofConfined())
        {
            final MemorySegment info = arena.allocate(LOOP_INFO64_BYTES, 8);
            ioctl(loop, fd, LOOP_GET_STATUS64, "LOOP_GET_STATUS64", info);
            info.set(ValueLayout.JAVA_LONG, LO_SIZELIMIT_OFFSET, sizeLimitBytes);
            ioctl(loop, fd, LOOP_SET_STATUS64, "LOOP_SET_STATUS64", info);
        }
        finally
        {
            Libc.close(fd);
        }
    }

    /**
     * Shuts the ext4 file system mounted at {@code mountPoint} down after syncing it (EXT4_IOC_SHUTDOWN):
     * from then on every read and write of its files fails with EIO, so a loop device over one of them
     * fails its I/O as a dying disk does. Unmounting and mounting again brings it back with what was synced.
     */
    static void shutDownFileSystem(final Path mountPoint) throws IOException
    {
        final int fd = Libc.open(mountPoint.toString(), Libc.O_RDONLY | Libc.O_CLOEXEC, 0);
        try (Arena arena = Arena.ofConfined())
        {
            final MemorySegment flags = arena.allocate(ValueLayout.JAVA_INT);
            flags.set(ValueLayout.JAVA_INT, 0, EXT4_GOING_FLAGS_DEFAULT);
            ioctl(mountPoint, fd, EXT4_IOC_SHUTDOWN, "EXT4_IOC_SHUTDOWN", flags);
        }
        finally
        {
            Libc.close(fd);
        }
    }

    /** ioctl(fd, request, arg); a non-zero result is an IOException naming the path and the request. */
    private static void ioctl(final Path path, final int fd, final long request, final String name, final MemorySegment arg)
        throws IOException
    {
        final int result;
        try
        {
            result = (int)ioctl().invokeExact(fd, request, arg);
        }
        catch (final RuntimeException | Error ex)
        {
            throw ex;
        }
        catch (final Throwable t)
        {
            throw new IOException(t);
        }
        if (result != 0)
        {
            throw new IOException(path + ": ioctl(" + name + ") failed");
        }
    }

    private static MethodHandle ioctl()
    {
        final Linker linker = Linker.nativeLinker();
        return linker.downcallHandle(linker.defaultLookup().find("ioctl").orElseThrow(),
            FunctionDescriptor.of(ValueLayout.JAVA_INT, ValueLayout.JAVA_INT, ValueLayout.JAVA_LONG, ValueLayout.ADDRESS),
            Linker.Option.firstVariadicArg(2));
    }

    /** Writes random 4 KiB blocks at random aligned offsets of a device at a fixed rate until closed. */
    static final class RateWriter implements AutoCloseable
    {
        private final Thread thread;
        private final AtomicLong writes = new AtomicLong();
        private final AtomicReference<Throwable> failure = new AtomicReference<>();
        private volatile boolean stop;

        RateWriter(final Path device, final long deviceBytes, final int writesPerSecond, final long seed)
        {
            final long periodNanos = TimeUnit.SECONDS.toNanos(1) / writesPerSecond;
            thread = new Thread(() ->
            {
                final Random random = new Random(seed);
                try (BlockDevice dev = BlockDevice.open(device, OpenOptions.forWriting().withExclusive(false));
                    Arena arena = Arena.ofConfined())
                {
                    final MemorySegment block = BlockDevice.allocateAligned(arena, 4096, 4096);
                    final long blocks = deviceBytes / 4096;
                    long next = System.nanoTime();
                    while (!stop)
                    {
                        fillRandom(block, random);
                        dev.write(block, 4096 * (long)(random.nextDouble() * blocks));
                        writes.incrementAndGet();
                        // A fixed schedule, not a fixed pause: the rate holds however long a write takes.
                        next += periodNanos;
                        final long wait = next - System.nanoTime();
                        if (wait > 0)
                        {
                            LockSupport.parkNanos(wait);
                        }
                    }
                }
                catch (final Throwable t)
                {
                    failure.set(t);
                }
            }, "rate-writer");
            thread.start();
        }

        long writes()
        {
            return writes.get();
        }

        /** Stops, waits, and fails if a write failed. */
        @Override
        public void close() throws IOException
        {
            stop = true;
            try
            {
                thread.join();
            }
            catch (final InterruptedException ex)
            {
                Thread.currentThread().interrupt();
            }
            if (failure.get() != null)
            {
                throw new IOException("the writer failed", failure.get());
            }
        }
    }
}
