package io.presync.pool;

import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * {@link BlockHash#hash(MemorySegment, long, long[])} (through a scratch array) against the reference
 * {@link BlockHash#hash(MemorySegment, long)} (straight from the segment): equal for random blocks at any offset of
 * native memory, byte-aligned or not, with the scratch reused dirty from the block before; a zero block gives the
 * format's constant either way.
 */
class BlockHashProperties
{
    @Property(tries = 200)
    void theScratchArrayHashIsTheSegmentHash(@ForAll final long seed, @ForAll @IntRange(min = 0, max = 8191) final int offset,
        @ForAll @IntRange(min = 0, max = 3) final int zeroRuns)
    {
        final Random random = new Random(seed);
        final long[] scratch = new long[BlockHash.BLOCK_LONGS];
        try (Arena arena = Arena.ofConfined())
        {
            final MemorySegment data = arena.allocate(3 * BlockHash.BLOCK_BYTES, 4096);
            final byte[] bytes = new byte[(int)data.byteSize()];
            random.nextBytes(bytes);
            // Some runs of zeros: a block may be partly or wholly zero.
            for (int run = 0; run < zeroRuns; run++)
            {
                final int from = random.nextInt(bytes.length);
                java.util.Arrays.fill(bytes, from, Math.min(bytes.length, from + random.nextInt(6000)), (byte)0);
            }
            MemorySegment.copy(bytes, 0, data, ValueLayout.JAVA_BYTE, 0, bytes.length);
            for (long at = offset % BlockHash.BLOCK_BYTES; at + BlockHash.BLOCK_BYTES <= data.byteSize(); at += 1 + random.nextInt(4096))
            {
                assertEquals(BlockHash.hash(data, at), BlockHash.hash(data, at, scratch), "block at " + at);
            }
            data.fill((byte)0);
            assertEquals(ChecksumAreaDescriptor.ZERO_BLOCK_HASH, BlockHash.hash(data, offset % BlockHash.BLOCK_BYTES, scratch));
        }
    }
}
