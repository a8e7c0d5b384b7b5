package io.presync.replicate;

import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@link WorkList}: the bulk reads against the per-chunk records they are made of. Random extents in regions are
 * cut into chunks as the job cuts them, each chunk of a random kind (copy or compare, as a resume classifies them);
 * the items cover exactly the chunks in the same order, each chunk lies inside one item of its own kind, items stay
 * within the bulk size and their region, and no two neighbouring items could have been one.
 */
class WorkListProperties
{
    private static final long CHUNK = ReplicationJob.CHUNK_BYTES;
    private static final long REGION = 16 * CHUNK;

    @Property(tries = 300)
    void itemsAreTheChunksMergedGreedily(@ForAll @IntRange(min = 1, max = 8) final int bulkChunks, @ForAll final long seed)
    {
        final long maxItemBytes = bulkChunks * CHUNK;
        final Random random = new Random(seed);
        final WorkList work = new WorkList(maxItemBytes);
        final List<long[]> chunks = new ArrayList<>();
        final List<Integer> sealedAt = new ArrayList<>();
        final int regions = 1 + random.nextInt(5);
        for (int region = 0; region < regions; region++)
        {
            work.seal();
            sealedAt.add(work.count);
            long at = region * REGION + 4096L * random.nextInt(64);
            final long regionEnd = (region + 1) * REGION;
            while (at < regionEnd)
            {
                // An extent of up to 5 MiB in 4 KiB blocks, clipped to the region, then a gap.
                final long extentEnd = Math.min(regionEnd, at + 4096L * (1 + random.nextInt(1280)));
                for (long c = at; c < extentEnd; c += CHUNK)
                {
                    final long chunkEnd = Math.min(extentEnd, c + CHUNK);
                    final int kind = random.nextInt(4) == 0 ? 3 : 1;
                    work.add(c, chunkEnd, kind);
                    chunks.add(new long[] {c, chunkEnd, kind, region});
                }
                at = extentEnd + 4096L * random.nextInt(300);
            }
        }
        // Items cover exactly the chunks, in order, each chunk in one item of its kind.
        int item = 0;
        long expectedNext = -1;
        for (final long[] chunk : chunks)
        {
            while (!(work.start[item] <= chunk[0] && chunk[1] <= work.end[item]))
            {
                assertEquals(expectedNext, work.end[item], "item " + item + " ends where its last chunk ends");
                item++;
                assertTrue(item < work.count, "chunk " + chunk[0] + " lies in an item");
                assertEquals(chunk[0], work.start[item], "an item starts at a chunk");
            }
            assertEquals(chunk[2], work.kind[item], "the kind of the chunk at " + chunk[0]);
            assertTrue(chunk[0] == work.start[item] || chunk[0] == expectedNext, "chunks of an item are contiguous");
            expectedNext = chunk[1];
        }
        assertEquals(work.count - 1, item, "no item without chunks");
        long total = 0;
        for (final long[] chunk : chunks)
        {
            total += chunk[1] - chunk[0];
        }
        assertEquals(total, work.totalBytes());
        for (int i = 0; i < work.count; i++)
        {
            assertTrue(work.end[i] - work.start[i] <= Math.max(maxItemBytes, CHUNK), "item " + i + " within the bulk size");
            assertEquals(work.start[i] / REGION, (work.end[i] - 1) / REGION, "item " + i + " within one region");
            if (i > 0 && !sealedAt.contains(i))
            {
                // Greedy: an item starts anew only when its first chunk could not join (its later chunks could).
                final long firstChunkEnd = Math.min(work.end[i], work.start[i] + CHUNK);
                assertFalse(work.end[i - 1] == work.start[i] && work.kind[i - 1] == work.kind[i] &&
                    firstChunkEnd - work.start[i - 1] <= maxItemBytes, "item " + i + " could have joined item " + (i - 1));
            }
        }
    }
}
