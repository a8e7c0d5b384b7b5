package io.presync.device;

import io.presync.RefusedException;
import io.presync.ffi.Libc;
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
import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class BlockDeviceTest
{
    private static final long MIB = 1 << 20;

    @RegisterExtension
    final LoopDevices loops = new LoopDevices();

    @Test
    void reportsGeometryOfLoopDevices() throws IOException
    {
        for (final int sector : new int[] {512, 4096})
        {
            final LoopDevices.Loop loop = loops.create(64 * MIB, sector);
            try (BlockDevice device = BlockDevice.open(loop.device(), OpenOptions.forWriting()))
            {
                assertTrue(device.isBlockDevice());
                assertEquals(64 * MIB, device.sizeBytes());
                assertEquals(sector, device.logicalSectorBytes());
                assertEquals(Long.parseLong(LoopDevices.run("blockdev", "--getpbsz", loop.path()).strip()),
                    device.physicalSectorBytes());
                final String sys = "/sys/class/block/" + loop.device().getFileName() + "/queue/";
                assertEquals(Long.parseLong(Files.readString(Path.of(sys + "discard_granularity")).strip()),
                    device.discardGranularityBytes());
                assertEquals(Long.parseLong(Files.readString(Path.of(sys + "discard_max_bytes")).strip()),
                    device.discardMaxBytes());
                assertEquals(Long.parseLong(Files.readString(Path.of(sys + "write_zeroes_max_bytes")).strip()),
                    device.writeZeroesMaxBytes());
                assertEquals(loop.backingFile().toRealPath(), device.backingFile().orElseThrow().toRealPath());
                assertEquals(0, device.allocatedBytes().orElseThrow());
            }
        }
    }

    @Test
    void reserveAllocatesTheBackingFileAndReleaseGivesItBack() throws IOException
    {
        final LoopDevices.Loop loop = loops.create(64 * MIB);
        try (BlockDevice device = BlockDevice.open(loop.device(), OpenOptions.forWriting()))
        {
            final long before = loop.allocatedBytes();
            device.reserve(4 * MIB, 8 * MIB);
            assertEquals(before + 8 * MIB, loop.allocatedBytes(), "reserve allocates exactly the range");
            assertEquals(loop.allocatedBytes(), device.allocatedBytes().orElseThrow());
            device.release(4 * MIB, 8 * MIB);
            assertEquals(before, loop.allocatedBytes(), "release gives the range back");
        }
    }

    @Test
    void readsWritesZeroesAndMapsAllocatedExtents() throws IOException
    {
        final LoopDevices.Loop loop = loops.create(16 * MIB);
        try (BlockDevice device = BlockDevice.open(loop.device(), OpenOptions.forWriting());
             Arena arena = Arena.ofConfined())
        {
            final MemorySegment out = BlockDevice.allocateAligned(arena, MIB, 4096);
            final MemorySegment in = BlockDevice.allocateAligned(arena, MIB, 4096);
            final SplittableRandom random = new SplittableRandom(7);
            for (long i = 0; i < MIB; i += 8)
            {
                out.set(ValueLayout.JAVA_LONG, i, random.nextLong());
            }
            device.write(out, 2 * MIB);
            device.write(out, 9 * MIB);
            device.flush();
            device.read(in, 2 * MIB);
            assertArrayEquals(out.toArray(ValueLayout.JAVA_BYTE), in.toArray(ValueLayout.JAVA_BYTE));

            final List<long[]> extents = new ArrayList<>();
            device.forEachAllocatedExtent((start, end) -> extents.add(new long[] {start, end}));
            assertEquals(2, extents.size(), "two written megabytes, two extents");
            assertArrayEquals(new long[] {2 * MIB, 3 * MIB}, extents.get(0));
            assertArrayEquals(new long[] {9 * MIB, 10 * MIB}, extents.get(1));

            device.zeroOut(2 * MIB, MIB);
            device.read(in, 2 * MIB);
            assertEquals(-1, in.mismatch(arena.allocate(MIB)), "zeroOut leaves zeroes");
        }
    }

    @Test
    void refusesMissingPathsAndThingsThatAreNotBlockDevices() throws IOException
    {
        final Path missing = loops.folder().resolve("no-such-device");
        final RefusedException notThere = assertThrows(RefusedException.class,
            () -> BlockDevice.open(missing, OpenOptions.forReading()));
        assertEquals(missing + " does not exist; check the device path", notThere.getMessage());

        final Path file = loops.folder().resolve("image");
        Files.write(file, new byte[8192]);
        final RefusedException regular = assertThrows(RefusedException.class,
            () -> BlockDevice.open(file, OpenOptions.forWriting()));
        assertTrue(regular.getMessage().startsWith(file + " is a regular file, not a block device; "), regular.getMessage());
        try (BlockDevice image = BlockDevice.open(file, OpenOptions.forWriting().withAllowRegularFile(true)))
        {
            assertFalse(image.isBlockDevice());
            assertEquals(8192, image.sizeBytes());
        }

        for (final Path other : new Path[] {loops.folder(), Path.of("/dev/null")})
        {
            final RefusedException notBlock = assertThrows(RefusedException.class,
                () -> BlockDevice.open(other, OpenOptions.forReading().withAllowRegularFile(true)));
            assertEquals(other + " is not a block device; give a block device such as /dev/sdb or /dev/loop0",
                notBlock.getMessage());
        }
    }

    @Test
    void regularFilesWhenAskedForReserveReleaseAndMapTheFileItself() throws IOException
    {
        final Path file = loops.folder().resolve("image");
        try (java.io.RandomAccessFile raf = new java.io.RandomAccessFile(file.toFile(), "rw"))
        {
            raf.setLength(16 * MIB);
        }
        try (BlockDevice image = BlockDevice.open(file, OpenOptions.forWriting().withAllowRegularFile(true)))
        {
            assertEquals(BlockDevice.REGULAR_FILE_SECTOR_BYTES, image.logicalSectorBytes());
            assertTrue(image.backingFile().isEmpty());
            assertEquals(0, image.allocatedBytes().orElseThrow());
            image.reserve(MIB, 4 * MIB);
            assertEquals(4 * MIB, image.allocatedBytes().orElseThrow());
            assertEquals(16 * MIB, Files.size(file), "reserve keeps the size");
            image.release(MIB, 4 * MIB);
            assertEquals(0, image.allocatedBytes().orElseThrow());
            final List<long[]> extents = new ArrayList<>();
            image.forEachAllocatedExtent((start, end) -> extents.add(new long[] {start, end}));
            assertEquals(0, extents.size());
        }
        try (BlockDevice readOnly = BlockDevice.open(file, OpenOptions.forReading().withAllowRegularFile(true)))
        {
            final IllegalStateException ex = assertThrows(IllegalStateException.class, () -> readOnly.reserve(0, 4096));
            assertEquals(file + " was opened read-only; open it for writing to reserve", ex.getMessage());
        }
    }

    @Test
    void refusesToWriteAMountedDeviceButReadsIt() throws IOException
    {
        final LoopDevices.Loop loop = loops.create(32 * MIB);
        LoopDevices.run("mkfs.ext4", "-q", "-F", loop.path());
        final Path mountPoint = Files.createDirectory(loops.folder().resolve("mnt"));
        LoopDevices.run("mount", loop.path(), mountPoint.toString());
        try
        {
            final RefusedException mounted = assertThrows(RefusedException.class,
                () -> BlockDevice.open(loop.device(), OpenOptions.forWriting()));
            assertEquals(loop.path() + " is mounted at " + mountPoint + "; unmount it or choose another device",
                mounted.getMessage());
            assertThrows(RefusedException.class,
                () -> BlockDevice.open(loop.device(), OpenOptions.forWriting().withExclusive(false)));

            try (BlockDevice device = BlockDevice.open(loop.device(), OpenOptions.forReading());
                 Arena arena = Arena.ofConfined())
            {
                final MemorySegment superblock = BlockDevice.allocateAligned(arena, 4096, 4096);
                device.read(superblock, 0);
                assertEquals((short)0xEF53, superblock.get(ValueLayout.JAVA_SHORT_UNALIGNED, 1024 + 56),
                    "the ext4 magic is readable while mounted");
            }
        }
        finally
        {
            LoopDevices.run("umount", mountPoint.toString());
        }
    }

    @Test
    void refusesADeviceHeldOpenExclusively() throws IOException
    {
        final LoopDevices.Loop loop = loops.create(8 * MIB);
        final int holder = Libc.open(loop.path(), Libc.O_RDONLY | Libc.O_EXCL | Libc.O_CLOEXEC, 0);
        try
        {
            final RefusedException busy = assertThrows(RefusedException.class,
                () -> BlockDevice.open(loop.device(), OpenOptions.forWriting()));
            assertEquals(loop.path() + " is in use by another process (held open exclusively); " +
                "stop it or choose another device", busy.getMessage());
        }
        finally
        {
            Libc.close(holder);
        }
        try (BlockDevice device = BlockDevice.open(loop.device(), OpenOptions.forWriting()))
        {
            assertEquals(8 * MIB, device.sizeBytes(), "free again once the holder closed it");
        }
    }

    @Test
    void unalignedRangesAndBuffersGetAClearErrorBeforeTheKernel() throws IOException
    {
        final LoopDevices.Loop loop = loops.create(8 * MIB);
        try (BlockDevice device = BlockDevice.open(loop.device(), OpenOptions.forWriting());
             Arena arena = Arena.ofConfined())
        {
            final IllegalArgumentException offset = assertThrows(IllegalArgumentException.class,
                () -> device.reserve(1000, 4096));
            assertEquals("offset 1000 is not a multiple of " + loop.path() + "'s 512-byte logical sector; align it",
                offset.getMessage());
            final IllegalArgumentException length = assertThrows(IllegalArgumentException.class,
                () -> device.release(0, 100));
            assertEquals("length 100 is not a multiple of " + loop.path() + "'s 512-byte logical sector; align it",
                length.getMessage());
            final IllegalArgumentException pastEnd = assertThrows(IllegalArgumentException.class,
                () -> device.zeroOut(8 * MIB - 512, 1024));
            assertTrue(pastEnd.getMessage().endsWith("ends past the end of " + loop.path() + " (8388608 bytes); shorten it"),
                pastEnd.getMessage());

            final MemorySegment aligned = BlockDevice.allocateAligned(arena, 8192, 4096);
            final IllegalArgumentException buffer = assertThrows(IllegalArgumentException.class,
                () -> device.read(aligned.asSlice(1, 4096), 0));
            assertTrue(buffer.getMessage().contains("is not a multiple of " + loop.path() + "'s 512-byte logical sector"),
                buffer.getMessage());
            final IllegalArgumentException heap = assertThrows(IllegalArgumentException.class,
                () -> device.read(MemorySegment.ofArray(new byte[4096]), 0));
            assertTrue(heap.getMessage().startsWith("the buffer is on the Java heap"), heap.getMessage());
            assertThrows(IllegalArgumentException.class, () -> device.read(aligned.asSlice(0, 1000), 0));
        }
    }
}
