package io.presync.pool;

import io.presync.device.LoopDevices;
import io.presync.uring.Ring;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * The asynchronous data path on a loop device: many {@link Partition#submitWrite}s in flight from
 * registered buffers, overlapping ones among them, across several segments; every completion heard
 * once; the result equals a reference model after drain, commit, reopen and export.
 */
class PartitionRingTest
{
    private static final int BLOCK = PartitionTest.BLOCK;
    private static final int BUFFERS = 24;
    private static final int BUFFER_BYTES = 256 << 10;

    @RegisterExtension
    final LoopDevices loops = new LoopDevices();

    private final boolean[] busy = new boolean[BUFFERS];
    private int completions;

    @Test
    void asynchronousWritesFromRegisteredBuffersMatchTheModelAcrossSegments() throws Exception
    {
        assumeTrue(Ring.unavailableReason() == null, "io_uring unavailable: " + Ring.unavailableReason());
        final int logical = 24 << 20;
        final LoopDevices.Loop loop = loops.create(64 << 20);
        final PartitionTest.Model model = new PartitionTest.Model(logical);
        final Random random = new Random(42);
        try (Pool pool = Pool.create(loop.device(), new Pool.CreateOptions(1 << 20, 8, false));
             Arena arena = Arena.ofShared())
        {
            // Three segments: a neighbour partition blocks the adjacent units, so each extension is a new segment.
            pool.allocate("vm", MasterIdentity.of("/dev/master", logical), 6 << 20);
            pool.allocate("other", MasterIdentity.of("/dev/other", 1 << 20), 1 << 20);
            pool.extend("vm", 6 << 20);
            pool.allocate("other2", MasterIdentity.of("/dev/other2", 1 << 20), 1 << 20);
            pool.extend("vm", 8 << 20);
            assertTrue(pool.partition("vm").orElseThrow().segments().size() >= 3, "several segments");
            final MemorySegment[] buffers = new MemorySegment[BUFFERS];
            for (int i = 0; i < BUFFERS; i++)
            {
                buffers[i] = Ring.allocateBuffer(arena, BUFFER_BYTES);
            }
            try (Partition p = pool.openPartition("vm"))
            {
                p.registerBuffers(buffers);
                p.completionHandler(userData ->
                {
                    assertTrue(busy[(int)userData], "a completion for a write in flight");
                    busy[(int)userData] = false;
                    completions++;
                });
                final ArrayDeque<Integer> order = new ArrayDeque<>();
                int submitted = 0;
                for (int i = 0; i < 400; i++)
                {
                    int slot = -1;
                    while (slot < 0)
                    {
                        for (int k = 0; k < BUFFERS && slot < 0; k++)
                        {
                            slot = busy[k] ? -1 : k;
                        }
                        if (slot < 0)
                        {
                            p.awaitCompletion();
                        }
                    }
                    final int blocks = 1 + random.nextInt(BUFFER_BYTES / BLOCK);
                    // Half of the writes go to a small hot range, so overlapping writes are often in flight together.
                    final int range = random.nextBoolean() ? 64 : logical / BLOCK;
                    final long offset = (long)random.nextInt(Math.max(1, range - blocks)) * BLOCK;
                    final byte[] data = PartitionTest.randomBlocks(random, blocks);
                    final MemorySegment buffer = buffers[slot].asSlice(0, data.length);
                    MemorySegment.copy(data, 0, buffer, ValueLayout.JAVA_BYTE, 0, data.length);
                    busy[slot] = true;
                    p.submitWrite(offset, buffer, slot, slot);
                    model.write(offset, data);
                    submitted++;
                    order.add(slot);
                    if (random.nextInt(10) == 0)
                    {
                        p.poll();
                    }
                }
                p.drain();
                assertEquals(submitted, completions, "every write completed once");
                assertEquals(0, p.writesInFlight());
                PartitionTest.assertMatches(p, model);
                p.commit();
            }
        }
        try (Pool pool = Pool.open(loop.device()); Partition p = pool.openPartition("vm"))
        {
            PartitionTest.assertMatches(p, model);
        }
        final Path reference = loops.folder().resolve("reference.img");
        Files.write(reference, model.bytes);
        final Path image = loops.folder().resolve("export.img");
        try (Pool pool = Pool.openReadOnly(loop.device()))
        {
            final ExportResult result = pool.export("vm", image, false);
            assertEquals((long)model.written.cardinality() * BLOCK, result.dataBytes());
        }
        LoopDevices.run("cmp", reference.toString(), image.toString());
    }
}
