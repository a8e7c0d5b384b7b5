package io.presync.pool;

import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * The runs an import writes against a reference model: per block, -1 for all zeros, else the offset of its one
 * non-zero byte (so a block that is zero but for its last byte counts as data). Walking
 * {@link PartitionImport#nextDataBlock} and {@link PartitionImport#dataRunEnd} gives exactly the maximal runs of
 * data blocks.
 */
class PartitionImportRunsProperties
{
    private static final int BLOCK = 4096;

    @Provide
    Arbitrary<List<Integer>> blocks()
    {
        return Arbitraries.oneOf(Arbitraries.just(-1), Arbitraries.integers().between(0, BLOCK - 1))
            .list().ofMaxSize(64);
    }

    @Property
    void runsAreTheMaximalRunsOfNonZeroBlocks(@ForAll("blocks") final List<Integer> blocks)
    {
        final int length = blocks.size() * BLOCK;
        try (Arena arena = Arena.ofConfined())
        {
            final MemorySegment chunk = arena.allocate(Math.max(length, BLOCK), BLOCK);
            for (int b = 0; b < blocks.size(); b++)
            {
                if (blocks.get(b) >= 0)
                {
                    chunk.set(ValueLayout.JAVA_BYTE, (long)b * BLOCK + blocks.get(b), (byte)0x5a);
                }
            }
            final List<int[]> runs = new ArrayList<>();
            for (int start = PartitionImport.nextDataBlock(chunk, 0, length); start < length; )
            {
                final int end = PartitionImport.dataRunEnd(chunk, start, length);
                runs.add(new int[] {start, end});
                start = PartitionImport.nextDataBlock(chunk, end, length);
            }

            final List<int[]> expected = new ArrayList<>();
            int runStart = -1;
            for (int b = 0; b <= blocks.size(); b++)
            {
                final boolean data = b < blocks.size() && blocks.get(b) >= 0;
                if (data && runStart < 0)
                {
                    runStart = b * BLOCK;
                }
                else if (!data && runStart >= 0)
                {
                    expected.add(new int[] {runStart, b * BLOCK});
                    runStart = -1;
                }
            }
            assertEquals(expected.size(), runs.size(), "number of runs");
            for (int i = 0; i < expected.size(); i++)
            {
                assertEquals(expected.get(i)[0], runs.get(i)[0], "start of run " + i);
                assertEquals(expected.get(i)[1], runs.get(i)[1], "end of run " + i);
            }
        }
    }
}
