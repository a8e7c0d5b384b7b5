package io.presync.device;

import io.presync.uring.Ring;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class DeviceCopyTest
{
    private static final long MIB = 1 << 20;

    @RegisterExtension
    final LoopDevices loops = new LoopDevices();

    @BeforeEach
    void needsIoUring()
    {
        Assumptions.assumeTrue(Ring.unavailableReason() == null, () -> "io_uring: " + Ring.unavailableReason());
    }

    @Test
    void roundTripsRandomAlignedRangesAtQueueDepthsOneTo256() throws IOException
    {
        final LoopDevices.Loop sourceLoop = loops.create(32 * MIB);
        final LoopDevices.Loop destinationLoop = loops.create(32 * MIB);
        LoopDevices.run("dd", "if=/dev/urandom", "of=" + sourceLoop.path(), "bs=1M", "count=32", "oflag=direct",
            "status=none");
        final SplittableRandom random = new SplittableRandom(42);
        try (BlockDevice source = BlockDevice.open(sourceLoop.device(), OpenOptions.forReading());
             BlockDevice destination = BlockDevice.open(destinationLoop.device(), OpenOptions.forWriting()))
        {
            for (final int queueDepth : new int[] {1, 2, 3, 8, 16, 64, 128, 256})
            {
                final long chunkBytes = 512L * random.nextInt(1, 257); // 512 B .. 128 KiB, odd sizes too
                try (DeviceCopy copy = DeviceCopy.create(source, destination, queueDepth, chunkBytes))
                {
                    for (int round = 0; round < 3; round++)
                    {
                        final long offset = 512L * random.nextLong(0, 32 * MIB / 512);
                        final long length = 512L * random.nextLong(0, (32 * MIB - offset) / 512 + 1);
                        destination.zeroOut(0, destination.sizeBytes());
                        copy.copy(offset, length, null);
                        assertSame(source, destination, offset, length, "QD " + queueDepth + " chunk " + chunkBytes);
                        assertZero(destination, 0, offset);
                        assertZero(destination, offset + length, destination.sizeBytes() - offset - length);
                    }
                }
            }
        }
    }

    @Test
    void copiesAWholeDeviceWithFourKibSectors() throws IOException
    {
        final LoopDevices.Loop sourceLoop = loops.create(24 * MIB, 4096);
        final LoopDevices.Loop destinationLoop = loops.create(32 * MIB, 4096);
        LoopDevices.run("dd", "if=/dev/urandom", "of=" + sourceLoop.path(), "bs=1M", "count=24", "oflag=direct",
            "status=none");
        try (BlockDevice source = BlockDevice.open(sourceLoop.device(), OpenOptions.forReading());
             BlockDevice destination = BlockDevice.open(destinationLoop.device(), OpenOptions.forWriting());
             DeviceCopy copy = DeviceCopy.create(source, destination, 16, MIB))
        {
            final long[] last = new long[2];
            assertEquals(24 * MIB, copy.copyAll((done, total) ->
            {
                last[0] = done;
                last[1] = total;
            }));
            destination.flush();
            assertSame(source, destination, 0, 24 * MIB, "whole device");
            assertEquals(24 * MIB, last[0], "the last progress report is the total");
            assertEquals(24 * MIB, last[1]);
        }
    }

    @Test
    void linkingNativeCallsOnAnotherThreadWhileCopyingLeavesTheCopyRight() throws Exception
    {
        final LoopDevices.Loop sourceLoop = loops.create(8 * MIB);
        final LoopDevices.Loop destinationLoop = loops.create(8 * MIB);
        LoopDevices.run("dd", "if=/dev/urandom", "of=" + sourceLoop.path(), "bs=1M", "count=8", "oflag=direct",
            "status=none");
        // presync copy links on a daemon thread while its main thread opens the devices and sets the ring up.
        final Thread linker = new Thread(DeviceCopy::linkNativeCalls, "presync-link");
        linker.start();
        try (BlockDevice source = BlockDevice.open(sourceLoop.device(), OpenOptions.forReading());
             BlockDevice destination = BlockDevice.open(destinationLoop.device(), OpenOptions.forWriting());
             DeviceCopy copy = DeviceCopy.create(source, destination, 4, 256 * 1024))
        {
            assertEquals(8 * MIB, copy.copyAll(null));
            linker.join();
            DeviceCopy.linkNativeCalls();
            destination.flush();
            assertSame(source, destination, 0, 8 * MIB, "copy while linking");
        }
    }

    @Test
    void theDestinationIsFreeForAnExclusiveOpenAsSoonAsTheCopyIsClosed() throws IOException
    {
        final LoopDevices.Loop sourceLoop = loops.create(4 * MIB);
        final LoopDevices.Loop destinationLoop = loops.create(4 * MIB);
        for (int round = 0; round < 20; round++)
        {
            try (BlockDevice source = BlockDevice.open(sourceLoop.device(), OpenOptions.forReading());
                 BlockDevice destination = BlockDevice.open(destinationLoop.device(), OpenOptions.forWriting());
                 DeviceCopy copy = DeviceCopy.create(source, destination, 4, 256 * 1024))
            {
                copy.copyAll(null);
            }
            // The ring held the destination as a registered file; closing it must let go of the device
            // at once, not in the kernel's asynchronous ring teardown (EBUSY for the next O_EXCL open).
            try (BlockDevice again = BlockDevice.open(destinationLoop.device(), OpenOptions.forWriting()))
            {
                assertEquals(4 * MIB, again.sizeBytes(), "round " + round);
            }
        }
    }

    @Test
    void allocatesNothingPerChunk() throws IOException
    {
        final LoopDevices.Loop sourceLoop = loops.create(16 * MIB);
        final LoopDevices.Loop destinationLoop = loops.create(16 * MIB);
        final com.sun.management.ThreadMXBean threads =
            (com.sun.management.ThreadMXBean)java.lang.management.ManagementFactory.getThreadMXBean();
        try (BlockDevice source = BlockDevice.open(sourceLoop.device(), OpenOptions.forReading());
             BlockDevice destination = BlockDevice.open(destinationLoop.device(), OpenOptions.forWriting());
             DeviceCopy copy = DeviceCopy.create(source, destination, 8, 16 * 1024))
        {
            for (int i = 0; i < 3; i++)
            {
                copy.copy(0, 16 * MIB, null); // warm-up: class loading, linking
            }
            final long before = threads.getCurrentThreadAllocatedBytes();
            copy.copy(0, 16 * MIB, null); // 1024 chunks, 2048 operations
            final long allocated = threads.getCurrentThreadAllocatedBytes() - before;
            assertTrue(allocated < 16 * 1024, "a 1024-chunk copy allocated " + allocated + " bytes");
        }
    }

    @Test
    void refusesBadQueueDepthsChunksAndUnalignedRanges() throws IOException
    {
        final LoopDevices.Loop a = loops.create(8 * MIB, 4096);
        final LoopDevices.Loop b = loops.create(8 * MIB);
        try (BlockDevice source = BlockDevice.open(a.device(), OpenOptions.forReading());
             BlockDevice destination = BlockDevice.open(b.device(), OpenOptions.forWriting()))
        {
            assertEquals("queue depth 0 is not valid; use 1 to 4096 (default 4)",
                assertThrows(io.presync.RefusedException.class, () -> DeviceCopy.create(source, destination, 0, MIB))
                    .getMessage());
            assertEquals("chunk size 1536 is not a positive multiple of the 4096-byte sector size of " + a.path() +
                    "; use for example 1M",
                assertThrows(io.presync.RefusedException.class, () -> DeviceCopy.create(source, destination, 4, 1536))
                    .getMessage());
            try (DeviceCopy copy = DeviceCopy.create(source, destination, 4, 64 * 1024))
            {
                final IllegalArgumentException ex = assertThrows(IllegalArgumentException.class,
                    () -> copy.copy(512, 4096, null));
                assertEquals("offset 512 is not a multiple of " + a.path() + "'s 4096-byte logical sector; align it",
                    ex.getMessage());
            }
        }
    }

    private static void assertSame(final BlockDevice a, final BlockDevice b, final long offset, final long length,
        final String what) throws IOException
    {
        try (Arena arena = Arena.ofConfined())
        {
            final MemorySegment x = BlockDevice.allocateAligned(arena, MIB, 4096);
            final MemorySegment y = BlockDevice.allocateAligned(arena, MIB, 4096);
            for (long at = offset; at < offset + length; at += MIB)
            {
                final long n = Math.min(MIB, offset + length - at);
                a.read(x.asSlice(0, n), at);
                b.read(y.asSlice(0, n), at);
                assertEquals(-1, x.asSlice(0, n).mismatch(y.asSlice(0, n)), what + ": differs in the MiB at " + at);
            }
        }
    }

    private static void assertZero(final BlockDevice device, final long offset, final long length) throws IOException
    {
        try (Arena arena = Arena.ofConfined())
        {
            final MemorySegment x = BlockDevice.allocateAligned(arena, MIB, 4096);
            final MemorySegment zero = arena.allocate(MIB);
            for (long at = offset; at < offset + length; at += MIB)
            {
                final long n = Math.min(MIB, offset + length - at);
                device.read(x.asSlice(0, n), at);
                assertEquals(-1, x.asSlice(0, n).mismatch(zero.asSlice(0, n)), "outside the copied range at " + at);
            }
        }
    }
}
