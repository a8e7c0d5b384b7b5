package io.presync.stream;

import io.presync.RefusedException;
import io.presync.device.LoopDevices;
import io.presync.ffi.Libc;
import io.presync.uring.Ring;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The tap against real loop devices: known writes and discards must come out exactly (compared as
 * the union of byte ranges per op, since the block layer may split or merge requests), losses must
 * be reported, and no trace instance may be left behind.
 */
class BlockTapTest
{
    private static final long DRAIN_NANOS = TimeUnit.SECONDS.toNanos(5);

    @RegisterExtension
    final LoopDevices loops = new LoopDevices();

    record Seen(long seq, long time, WriteOp op, long offset, long length, long count)
    {
    }

    static final class Collector implements WriteEventHandler
    {
        final List<Seen> events = new ArrayList<>();

        @Override
        public void onEvent(final WriteEvent e)
        {
            events.add(new Seen(e.sequence(), e.timeNanos(), e.op(), e.offsetBytes(), e.lengthBytes(), e.lostCount()));
        }

        TreeMap<Long, Long> union(final WriteOp op)
        {
            return BlockTapTest.union(events.stream().filter(s -> s.op() == op).toList());
        }
    }

    /** Union of byte ranges as start → end, touching ranges joined. */
    static TreeMap<Long, Long> union(final List<Seen> seen)
    {
        final TreeMap<Long, Long> ranges = new TreeMap<>();
        seen.stream().sorted((a, b) -> Long.compare(a.offset(), b.offset())).forEach(s ->
        {
            final var last = ranges.lastEntry();
            if (last != null && last.getValue() >= s.offset())
            {
                ranges.put(last.getKey(), Math.max(last.getValue(), s.offset() + s.length()));
            }
            else
            {
                ranges.put(s.offset(), s.offset() + s.length());
            }
        });
        return ranges;
    }

    static TreeMap<Long, Long> ranges(final long... startEnd)
    {
        final TreeMap<Long, Long> map = new TreeMap<>();
        for (int i = 0; i < startEnd.length; i += 2)
        {
            map.put(startEnd[i], startEnd[i + 1]);
        }
        return map;
    }

    @AfterEach
    void noInstanceLeft() throws IOException
    {
        TraceInstances.assertNoneOfThisProcess();
    }

    /** Taps while {@code load} runs, through a write log, and returns what the log replays. */
    private static List<Seen> tapIntoLog(final LoopDevices.Loop loop, final Path logDir, final IoLoad load) throws Exception
    {
        try (WriteLog log = WriteLog.open(logDir, new WriteLog.Options());
             BlockTap tap = BlockTap.open(loop.device(), new BlockTap.Options()))
        {
            assertTrue(Files.isDirectory(tap.instance()));
            load.run();
            tap.drain(log, DRAIN_NANOS);
            assertEquals(0, tap.lostReports(), "no loss expected at this rate");
        }
        final Collector replayed = new Collector();
        final WriteLogReader.Result result = WriteLogReader.replay(logDir, replayed);
        assertFalse(result.wasCut());
        for (int i = 0; i < replayed.events.size(); i++)
        {
            assertEquals(i + 1, replayed.events.get(i).seq(), "sequence numbers are dense from 1");
        }
        return replayed.events;
    }

    @FunctionalInterface
    interface IoLoad
    {
        void run() throws Exception;
    }

    private static List<Seen> only(final List<Seen> events, final WriteOp op)
    {
        return events.stream().filter(s -> s.op() == op).toList();
    }

    @Test
    void ddWritesAndBlkdiscardAreLoggedExactly() throws Exception
    {
        final LoopDevices.Loop loop = loops.create(64 << 20);
        final String dev = loop.path();
        final List<Seen> events = tapIntoLog(loop, loops.folder().resolve("log"), () ->
        {
            LoopDevices.run("dd", "if=/dev/urandom", "of=" + dev, "bs=4k", "count=2", "seek=10", "oflag=direct", "status=none");
            LoopDevices.run("dd", "if=/dev/urandom", "of=" + dev, "bs=64k", "count=1", "seek=100", "oflag=direct", "status=none");
            LoopDevices.run("blkdiscard", "-o", "1048576", "-l", "65536", dev);
            LoopDevices.run("blkdiscard", "-z", "-o", "2097152", "-l", "131072", dev);
            LoopDevices.run("dd", "if=/dev/urandom", "of=" + dev, "bs=512", "count=1", "seek=20000", "oflag=direct,sync", "status=none");
        });
        assertEquals(ranges(40960, 49152, 6553600, 6619136, 10240000, 10240512), union(only(events, WriteOp.WRITE)));
        assertEquals(ranges(1048576, 1114112), union(only(events, WriteOp.DISCARD)));
        assertEquals(ranges(2097152, 2228224), union(only(events, WriteOp.WRITE_ZEROES)));
        for (final Seen s : events)
        {
            assertTrue(s.op() != WriteOp.LOST);
            assertTrue(s.op() != WriteOp.FLUSH || s.length() == 0);
        }
    }

    @Test
    void fioRandomWritesAndTrimsAreLoggedExactly() throws Exception
    {
        Assumptions.assumeTrue(hasCommand("fio"), "fio is not installed");
        final LoopDevices.Loop loop = loops.create(64 << 20);
        final String dev = loop.path();
        final List<Seen> events = tapIntoLog(loop, loops.folder().resolve("log"), () ->
        {
            // Every 4 KiB block of [8 MiB, 12 MiB) exactly once, in random order, 8 in flight.
            LoopDevices.run("fio", "--name=w", "--filename=" + dev, "--rw=randwrite", "--bs=4k", "--offset=8M", "--size=4M",
                "--direct=1", "--ioengine=io_uring", "--iodepth=8", "--randrepeat=1", "--output=/dev/null");
            // Trims of [32 MiB, 33 MiB).
            LoopDevices.run("fio", "--name=t", "--filename=" + dev, "--rw=randtrim", "--bs=64k", "--offset=32M", "--size=1M",
                "--direct=1", "--ioengine=psync", "--output=/dev/null");
        });
        final List<Seen> writes = only(events, WriteOp.WRITE);
        assertEquals(ranges(8L << 20, 12L << 20), union(writes));
        long writeBytes = 0;
        for (final Seen s : writes)
        {
            writeBytes += s.length();
        }
        assertEquals(4L << 20, writeBytes, "each block written once, so no byte twice");
        assertEquals(ranges(32L << 20, 33L << 20), union(only(events, WriteOp.DISCARD)));
        assertEquals(0, only(events, WriteOp.WRITE_ZEROES).size());
    }

    @Test
    void projectRingWritesAreLoggedOneEventEach() throws Exception
    {
        Assumptions.assumeTrue(Ring.unavailableReason() == null, () -> "io_uring unavailable: " + Ring.unavailableReason());
        final LoopDevices.Loop loop = loops.create(64 << 20);
        final long[] offsets = {0, 3L << 20, 5L << 20 + 8192, 17L << 20, 40L << 20, 63L << 20};
        final int[] lengths = {4096, 8192, 65536, 4096, 131072, 4096};
        final List<Seen> events = tapIntoLog(loop, loops.folder().resolve("log"), () ->
        {
            final int fd = Libc.open(loop.path(), Libc.O_RDWR | Libc.O_DIRECT | Libc.O_CLOEXEC, 0);
            try (Arena arena = Arena.ofConfined(); Ring ring = Ring.create(8))
            {
                final MemorySegment buffer = Ring.allocateBuffer(arena, 131072);
                buffer.fill((byte)0x5A);
                for (int i = 0; i < offsets.length; i++)
                {
                    assertTrue(ring.prepareWrite(fd, false, buffer, lengths[i], offsets[i], i));
                }
                ring.submit();
                final int[] done = {0};
                final int[] failed = {0};
                while (done[0] < offsets.length)
                {
                    ring.submitAndWait(1);
                    ring.reap((userData, result, flags) ->
                    {
                        done[0]++;
                        if (result != lengths[(int)userData])
                        {
                            failed[0]++;
                        }
                    }, 16);
                }
                assertEquals(0, failed[0]);
            }
            finally
            {
                Libc.close(fd);
            }
        });
        // Non-adjacent writes cannot merge: exactly one event per write, no more, no fewer.
        final TreeMap<Long, Long> expected = new TreeMap<>();
        for (int i = 0; i < offsets.length; i++)
        {
            expected.put(offsets[i], (long)lengths[i]);
        }
        final TreeMap<Long, Long> actual = new TreeMap<>();
        for (final Seen s : only(events, WriteOp.WRITE))
        {
            assertEquals(null, actual.put(s.offset(), s.length()), "write at " + s.offset() + " reported twice");
        }
        assertEquals(expected, actual);
        assertEquals(events.size(), only(events, WriteOp.WRITE).size() + only(events, WriteOp.FLUSH).size());
    }

    @Test
    void completionMeansTheDataIsReadable() throws Exception
    {
        final LoopDevices.Loop loop = loops.create(16 << 20);
        final byte[][] seenData = new byte[1][];
        try (BlockTap tap = BlockTap.open(loop.device(), new BlockTap.Options().reorderWindowNanos(0)))
        {
            LoopDevices.run("dd", "if=/dev/urandom", "of=" + loop.backingFile().getParent().resolve("pattern"),
                "bs=4k", "count=1", "status=none");
            final byte[] pattern = Files.readAllBytes(loop.backingFile().getParent().resolve("pattern"));
            final Thread writer = Thread.ofPlatform().start(() ->
            {
                try
                {
                    LoopDevices.run("dd", "if=" + loop.backingFile().getParent().resolve("pattern"), "of=" + loop.path(),
                        "bs=4k", "count=1", "seek=100", "oflag=direct", "status=none");
                }
                catch (final IOException ex)
                {
                    throw new IllegalStateException(ex);
                }
            });
            final long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
            while (seenData[0] == null && System.nanoTime() < deadline)
            {
                tap.poll(e ->
                {
                    if (e.op() == WriteOp.WRITE && e.offsetBytes() == 409600)
                    {
                        // The moment the event is handed out, a direct read returns the new data.
                        seenData[0] = readDirect(loop.path(), e.offsetBytes(), 4096);
                    }
                }, 64);
                Thread.onSpinWait();
            }
            writer.join();
            assertTrue(java.util.Arrays.equals(pattern, seenData[0]), "read after the completion event sees the write");
        }
    }

    private static byte[] readDirect(final String path, final long offset, final int length) throws IOException
    {
        final int fd = Libc.open(path, Libc.O_RDONLY | Libc.O_DIRECT | Libc.O_CLOEXEC, 0);
        try (Arena arena = Arena.ofConfined(); Ring ring = Ring.create(2))
        {
            final MemorySegment buffer = Ring.allocateBuffer(arena, length);
            ring.prepareRead(fd, false, buffer, length, offset, 1);
            ring.submitAndWait(1);
            final int[] result = {0};
            ring.reap((userData, res, flags) -> result[0] = res, 1);
            assertEquals(length, result[0]);
            return buffer.toArray(ValueLayout.JAVA_BYTE);
        }
        finally
        {
            Libc.close(fd);
        }
    }

    @Test
    void tinyBufferUnderABurstReportsTheLoss() throws Exception
    {
        final LoopDevices.Loop loop = loops.create(64 << 20);
        final Collector collector = new Collector();
        try (BlockTap tap = BlockTap.open(loop.device(), new BlockTap.Options().bufferSizeKb(4).pagesInFlight(2)))
        {
            // Nobody polls during the burst: two pages in flight and a 4 KiB kernel buffer per CPU must overrun.
            LoopDevices.run("dd", "if=/dev/zero", "of=" + loop.path(), "bs=4k", "count=3000", "oflag=direct", "status=none");
            tap.drain(collector, DRAIN_NANOS);
            assertTrue(tap.lostReports() > 0, "the overrun must be reported");
            assertTrue(tap.lostEvents() > 0, "the kernel counts what it overwrote");
            final List<Seen> lost = collector.events.stream().filter(s -> s.op() == WriteOp.LOST).toList();
            assertEquals(tap.lostReports(), lost.size());
            for (final Seen s : lost)
            {
                assertEquals(0, s.offset());
                assertEquals(64L << 20, s.length(), "a LOST event covers the whole device");
            }
            final long delivered = collector.events.stream().filter(s -> s.op() == WriteOp.WRITE).count();
            assertTrue(delivered < 3000, "some writes were lost, so fewer than 3000 are delivered: " + delivered);
            long known = 0;
            for (final Seen s : lost)
            {
                known += Math.max(0, s.count());
            }
            assertEquals(tap.lostEvents(), known);
        }
    }

    @Test
    void pollingIntoTheLogAllocatesNothingPerEvent() throws Exception
    {
        final LoopDevices.Loop loop = loops.create(64 << 20);
        final long[] writes = {0};
        final WriteEventHandler[] next = new WriteEventHandler[1];
        try (WriteLog log = WriteLog.open(loops.folder().resolve("log"), new WriteLog.Options());
             BlockTap tap = BlockTap.open(loop.device(), new BlockTap.Options()))
        {
            next[0] = log;
            final WriteEventHandler counting = e ->
            {
                if (e.op() == WriteOp.WRITE)
                {
                    writes[0]++;
                }
                next[0].onEvent(e);
            };
            // Warm up: class loading and the first batches allocate once.
            pollUntil(tap, counting, writes, 200, () -> LoopDevices.run("dd", "if=/dev/zero", "of=" + loop.path(),
                "bs=4k", "count=200", "oflag=direct", "status=none"));
            final long from = writes[0];
            final long allocated = pollUntil(tap, counting, writes, from + 3000, () -> LoopDevices.run("dd", "if=/dev/zero",
                "of=" + loop.path(), "bs=4k", "count=3000", "seek=1000", "oflag=direct", "status=none"));
            assertEquals(from + 3000, writes[0]);
            assertTrue(allocated < 3000, "polling 3000 events into the log allocated " + allocated + " bytes");
        }
    }

    /**
     * Polls on this thread while {@code load} runs on another, until {@code target} writes were seen;
     * returns the bytes this thread allocated while polling.
     */
    private static long pollUntil(final BlockTap tap, final WriteEventHandler handler, final long[] writes, final long target,
        final IoLoad load) throws Exception
    {
        final Thread loader = Thread.ofPlatform().start(() ->
        {
            try
            {
                load.run();
            }
            catch (final Exception ex)
            {
                throw new IllegalStateException(ex);
            }
        });
        final com.sun.management.ThreadMXBean threads =
            (com.sun.management.ThreadMXBean)java.lang.management.ManagementFactory.getThreadMXBean();
        final long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        final long before = threads.getCurrentThreadAllocatedBytes();
        while (writes[0] < target && System.nanoTime() < deadline)
        {
            if (tap.poll(handler, 256) == 0)
            {
                java.util.concurrent.locks.LockSupport.parkNanos(100_000);
            }
        }
        final long allocated = threads.getCurrentThreadAllocatedBytes() - before;
        loader.join();
        return allocated;
    }

    @Test
    void staleInstancesOfDeadProcessesAreRemoved() throws Exception
    {
        final LoopDevices.Loop loop = loops.create(16 << 20);
        TraceFs.ensureMounted(TraceFs.DEFAULT_ROOT);
        long deadPid = 4_194_000;
        while (Files.exists(Path.of("/proc", Long.toString(deadPid))))
        {
            deadPid++;
        }
        final Path stale = TraceFs.DEFAULT_ROOT.resolve("instances/presync-" + deadPid);
        Files.createDirectory(stale);
        try
        {
            try (BlockTap tap = BlockTap.open(loop.device(), new BlockTap.Options()))
            {
                assertFalse(Files.exists(stale), "stale instance of a dead process removed at start");
                assertTrue(Files.exists(tap.instance()));
            }
        }
        finally
        {
            TraceFs.removeInstance(stale);
        }
    }

    @Test
    void unavailableTracefsAndNonDevicesSayWhy() throws Exception
    {
        final LoopDevices.Loop loop = loops.create(16 << 20);
        final TapUnavailableException ex = assertThrows(TapUnavailableException.class,
            () -> BlockTap.open(loop.device(), new BlockTap.Options().tracefsRoot(Path.of("/nonexistent/tracing"))));
        assertTrue(ex.getMessage().contains("/nonexistent/tracing"), ex.getMessage());
        final RefusedException notDevice = assertThrows(RefusedException.class,
            () -> BlockTap.open(loop.backingFile(), new BlockTap.Options()));
        assertTrue(notDevice.getMessage().contains("is not a block device"), notDevice.getMessage());
    }

    @Test
    void partitionIsTappedAsAWindowOfItsDisk() throws Exception
    {
        Assumptions.assumeTrue(hasCommand("partx"), "partx is not installed");
        // A 32 MiB disk with one MBR partition at sectors [2048, 18432).
        final Path image = loops.folder().resolve("disk.img");
        final java.nio.ByteBuffer mbr = java.nio.ByteBuffer.allocate(512).order(java.nio.ByteOrder.LITTLE_ENDIAN);
        mbr.put(446 + 4, (byte)0x83).putInt(446 + 8, 2048).putInt(446 + 12, 16384).put(510, (byte)0x55).put(511, (byte)0xAA);
        try (var channel = java.nio.channels.FileChannel.open(image, java.nio.file.StandardOpenOption.CREATE_NEW,
            java.nio.file.StandardOpenOption.WRITE))
        {
            channel.write(mbr, 0);
            channel.truncate(32 << 20);
            channel.write(java.nio.ByteBuffer.allocate(1), (32 << 20) - 1);
        }
        final LoopDevices.Loop disk = loops.attach(image, 512);
        LoopDevices.run("partx", "--add", disk.path());
        try
        {
            final Path partition = Path.of(disk.path() + "p1");
            final BlockDeviceId id = BlockDeviceId.of(partition);
            assertEquals(2048, id.startSector());
            assertEquals(16384, id.sizeSectors());
            final List<Seen> events = tapIntoLogOf(partition, loops.folder().resolve("log"), () ->
            {
                LoopDevices.run("dd", "if=/dev/zero", "of=" + partition, "bs=4k", "count=1", "seek=10", "oflag=direct", "status=none");
                // Before the partition, on the disk: not ours.
                LoopDevices.run("dd", "if=/dev/zero", "of=" + disk.path(), "bs=4k", "count=1", "seek=1", "oflag=direct", "status=none");
                // Inside the partition, written through the disk: ours, at the partition's offset.
                LoopDevices.run("dd", "if=/dev/zero", "of=" + disk.path(), "bs=512", "count=8", "seek=" + (2048 + 800),
                    "oflag=direct", "status=none");
                // After the partition, on the disk: not ours.
                LoopDevices.run("dd", "if=/dev/zero", "of=" + disk.path(), "bs=4k", "count=1", "seek=5000", "oflag=direct", "status=none");
            });
            assertEquals(ranges(40960, 45056, 409600, 413696), union(only(events, WriteOp.WRITE)));
        }
        finally
        {
            LoopDevices.run("partx", "--delete", disk.path());
        }
    }

    private static List<Seen> tapIntoLogOf(final Path device, final Path logDir, final IoLoad load) throws Exception
    {
        try (WriteLog log = WriteLog.open(logDir, new WriteLog.Options());
             BlockTap tap = BlockTap.open(device, new BlockTap.Options()))
        {
            load.run();
            tap.drain(log, DRAIN_NANOS);
        }
        final Collector replayed = new Collector();
        WriteLogReader.replay(logDir, replayed);
        return replayed.events;
    }

    @Test
    void filterSelectsDeviceOpsAndPartitionWindow()
    {
        final BlockDeviceId whole = new BlockDeviceId(Path.of("/dev/loop7"), 7, 7, 0, 2048, true);
        assertEquals("dev == 7340039 && (rwbs ~ \"*W*\" || rwbs ~ \"*D*\" || rwbs ~ \"N*\" || rwbs ~ \"F*\")",
            BlockTap.filterOf(whole));
        final BlockDeviceId part = new BlockDeviceId(Path.of("/dev/sda1"), 8, 0, 2048, 4096, true);
        assertTrue(BlockTap.filterOf(part).endsWith("&& (nr_sector == 0 || (sector >= 2048 && sector < 6144))"));
    }

    static boolean hasCommand(final String name)
    {
        for (final String dir : System.getenv().getOrDefault("PATH", "/usr/bin:/bin").split(":"))
        {
            if (Files.isExecutable(Path.of(dir, name)))
            {
                return true;
            }
        }
        return false;
    }

}
