package io.presync.pool;

import io.presync.device.LoopDevices;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.io.RandomAccessFile;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.file.Path;
import java.util.Random;

import static io.presync.pool.PartitionTest.BLOCK;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Copy-on-write overwrites, discards and big maps on loop devices, checked against a sparse reference file. */
class PartitionCowDeviceTest
{
    private static final int EXTENTS = Boolean.getBoolean("presync.long") ? 400_000 : 100_000;

    @RegisterExtension
    final LoopDevices loops = new LoopDevices();

    @Test
    void randomWritesOverwritesAndDiscardsMatchASparseReferenceAndSpaceIsReused() throws Exception
    {
        final int logical = 32 << 20;
        final LoopDevices.Loop loop = loops.create(64 << 20);
        final Path reference = loops.folder().resolve("reference.img");
        final Random random = new Random(21);
        long allocatedAfterFirstPass = 0;
        try (RandomAccessFile ref = new RandomAccessFile(reference.toFile(), "rw"); Arena arena = Arena.ofConfined())
        {
            ref.setLength(logical);
            final MemorySegment buffer = arena.allocate(64 * BLOCK, BLOCK);
            final byte[] bytes = new byte[64 * BLOCK];
            try (Pool pool = Pool.create(loop.device(), new Pool.CreateOptions(1 << 20, 8, true)))
            {
                pool.allocate("vm", MasterIdentity.of("/dev/master", logical), 12 << 20);
                try (Partition p = pool.openPartition("vm"))
                {
                    // Ten passes of about 8 MiB of writes into an 8 MiB window of a 12 MiB partition.
                    for (int pass = 0; pass < 10; pass++)
                    {
                        for (int i = 0; i < 64; i++)
                        {
                            final int blocks = 1 + random.nextInt(64);
                            final long offset = (long)random.nextInt((8 << 20) / BLOCK - blocks) * BLOCK;
                            final int length = blocks * BLOCK;
                            if (random.nextInt(10) == 0)
                            {
                                p.discard(offset, length);
                                ref.seek(offset);
                                ref.write(new byte[length]);
                                continue;
                            }
                            random.nextBytes(bytes);
                            MemorySegment.copy(bytes, 0, buffer, ValueLayout.JAVA_BYTE, 0, length);
                            p.write(offset, buffer.asSlice(0, length));
                            ref.seek(offset);
                            ref.write(bytes, 0, length);
                            if (i % 16 == 15)
                            {
                                p.commit();
                            }
                        }
                        p.commit();
                        p.checkSpace();
                        assertTrue(p.usedBytes() <= 8 << 20);
                        if (pass == 0)
                        {
                            allocatedAfterFirstPass = loop.allocatedBytes();
                        }
                    }
                    // A sequential stretch of new data continues its physical run where the free space allows.
                    p.setJobState(new byte[1]);
                    p.commit(); // everything released becomes free
                    final int before = (int)p.extentCount();
                    final long largest = p.largestFreeExtentBytes();
                    // The fewest free extents that hold 1 MiB: what a stream needs at best.
                    final long[] lengths = p.freeExtents().stream().mapToLong(e -> e[1]).sorted().toArray();
                    long fewest = 0;
                    for (long sum = 0, i = lengths.length - 1; sum < (1L << 20) && i >= 0; i--)
                    {
                        sum += lengths[(int)i];
                        fewest++;
                    }
                    for (int i = 0; i < 16; i++)
                    {
                        random.nextBytes(bytes);
                        MemorySegment.copy(bytes, 0, buffer, ValueLayout.JAVA_BYTE, 0, 16 * BLOCK);
                        p.write((16L << 20) + (long)i * 16 * BLOCK, buffer.asSlice(0, 16 * BLOCK));
                        ref.seek((16L << 20) + (long)i * 16 * BLOCK);
                        ref.write(bytes, 0, 16 * BLOCK);
                    }
                    // Free space is fragmented by now: the stream takes the largest holes and goes on in each.
                    final long runs = fewest + 2;
                    assertTrue(p.extentCount() <= before + runs, before + " extents before, " + p.extentCount() + " after, largest free extent " +
                        largest);
                    p.commit();
                }
            }
        }
        // The partition's units were reserved at allocate: rewriting them reuses space, the pool does not grow.
        assertTrue(loop.allocatedBytes() <= allocatedAfterFirstPass + (1 << 20),
            loop.allocatedBytes() + " bytes allocated after ten passes, " + allocatedAfterFirstPass + " after one");
        final Path image = loops.folder().resolve("export.img");
        try (Pool pool = Pool.openReadOnly(loop.device()))
        {
            pool.export("vm", image, false);
        }
        LoopDevices.run("cmp", reference.toString(), image.toString());
    }

    @Test
    void aMapOfAHundredThousandExtentsCommitsAndReopens() throws Exception
    {
        final long logical = (long)EXTENTS * 2 * BLOCK;
        final LoopDevices.Loop loop = loops.create((long)EXTENTS * BLOCK + (64L << 20));
        final long commitNanos;
        final long smallCommitNanos;
        try (Pool pool = Pool.create(loop.device(), new Pool.CreateOptions(1 << 20, 4, true)); Arena arena = Arena.ofConfined())
        {
            pool.allocate("vm", MasterIdentity.of("/dev/master", logical), (long)EXTENTS * BLOCK + (8L << 20));
            final MemorySegment block = arena.allocate(BLOCK, BLOCK);
            try (Partition p = pool.openPartition("vm"))
            {
                // Every other block: each written block is an extent of its own.
                for (long i = 0; i < EXTENTS; i++)
                {
                    block.set(ValueLayout.JAVA_LONG_UNALIGNED, 0, i);
                    block.set(ValueLayout.JAVA_LONG_UNALIGNED, BLOCK - 8, ~i);
                    p.write(2 * i * BLOCK, block);
                }
                assertEquals(EXTENTS, p.extentCount());
                long start = System.nanoTime();
                p.commit();
                commitNanos = System.nanoTime() - start;
                // One more block: the commit writes a tree path, not the map.
                p.write(BLOCK, block);
                start = System.nanoTime();
                p.commit();
                smallCommitNanos = System.nanoTime() - start;
                p.checkSpace();
                System.out.printf("PartitionCowDeviceTest: %d extents in %d tree pages (%.1f bytes per extent); first commit %.1f ms, " +
                    "commit of one more block %.2f ms%n", p.extentCount(), p.mapPages(), p.mapPages() * 4096.0 / p.extentCount(),
                    commitNanos / 1e6, smallCommitNanos / 1e6);
            }
        }
        try (Pool pool = Pool.open(loop.device()); Partition p = pool.openPartition("vm"); Arena arena = Arena.ofConfined())
        {
            assertEquals(EXTENTS + 1, p.extentCount());
            final MemorySegment block = arena.allocate(BLOCK, BLOCK);
            final Random random = new Random(1);
            for (int k = 0; k < 1000; k++)
            {
                final long i = 2 + random.nextInt(EXTENTS - 2);
                p.read(2 * i * BLOCK, block);
                assertEquals(i, block.get(ValueLayout.JAVA_LONG_UNALIGNED, 0));
                assertEquals(~i, block.get(ValueLayout.JAVA_LONG_UNALIGNED, BLOCK - 8));
                p.read((2 * i + 1) * BLOCK, block);
                assertArrayEquals(new byte[BLOCK], block.toArray(ValueLayout.JAVA_BYTE));
            }
            p.checkSpace();
        }
    }
}
