package io.presync.pool;

import org.junit.jupiter.api.Test;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.util.HashSet;
import java.util.Random;
import java.util.Set;
import java.util.zip.CRC32C;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class BlockHashTest
{
    private static final ValueLayout.OfInt LE_INT = ValueLayout.JAVA_INT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    @Test
    void tellsApartBlocksThatEmbedTheirOwnCrc32cWhichCrc32cCannot()
    {
        // A block ending with the CRC32C of its first 4092 bytes (as an ext4 superblock with metadata_csum
        // does) has one and the same block CRC32C whatever it holds: CRC is affine.
        final Random random = new Random(3);
        final Set<Integer> blockCrcs = new HashSet<>();
        final Set<Long> hashes = new HashSet<>();
        for (int i = 0; i < 50; i++)
        {
            final byte[] bytes = new byte[4096];
            random.nextBytes(bytes);
            final CRC32C crc = new CRC32C();
            crc.update(bytes, 0, 4092);
            final MemorySegment block = MemorySegment.ofArray(bytes);
            block.set(LE_INT, 4092, (int)crc.getValue());
            final CRC32C whole = new CRC32C();
            whole.update(bytes);
            blockCrcs.add((int)whole.getValue());
            hashes.add(BlockHash.hash(block, 0));
        }
        assertEquals(1, blockCrcs.size(), "CRC32C is blind to these changes");
        assertEquals(50, hashes.size(), "the hash is not");
    }

    @Test
    void dependsOnEveryBitAndOnPositionAndIsStable()
    {
        final MemorySegment block = MemorySegment.ofArray(new byte[8192]);
        final long zero = BlockHash.hash(block, 0);
        assertEquals(zero, BlockHash.hash(block, 4096), "same bytes, same hash wherever they are");
        final Set<Long> seen = new HashSet<>();
        seen.add(zero);
        for (int bit = 0; bit < 4096 * 8; bit += 97)
        {
            block.set(ValueLayout.JAVA_BYTE, bit / 8, (byte)(1 << (bit % 8)));
            seen.add(BlockHash.hash(block, 0));
            block.set(ValueLayout.JAVA_BYTE, bit / 8, (byte)0);
        }
        assertEquals(1 + (4096 * 8 + 96) / 97, seen.size(), "every single-bit change gives a new hash");
        // Swapping two longs changes the hash (lanes are position-dependent).
        block.set(ValueLayout.JAVA_LONG_UNALIGNED, 0, 1L);
        final long a = BlockHash.hash(block, 0);
        block.set(ValueLayout.JAVA_LONG_UNALIGNED, 0, 0L);
        block.set(ValueLayout.JAVA_LONG_UNALIGNED, 32, 1L);
        assertNotEquals(a, BlockHash.hash(block, 0));
    }

    @Test
    void zeroRecordConstantsAreTheChecksumsOfAZeroBlock()
    {
        final CRC32C crc = new CRC32C();
        crc.update(new byte[4096]);
        assertEquals((int)crc.getValue(), ChecksumAreaDescriptor.ZERO_BLOCK_CRC);
        assertEquals(BlockHash.hash(MemorySegment.ofArray(new byte[4096]), 0), ChecksumAreaDescriptor.ZERO_BLOCK_HASH);
        try (Arena arena = Arena.ofConfined())
        {
            assertEquals(ChecksumAreaDescriptor.ZERO_BLOCK_HASH, BlockHash.hash(arena.allocate(4096), 0));
        }
    }

    @Test
    void isZeroOnlyForBlocksWithoutASingleSetBit()
    {
        try (Arena arena = Arena.ofConfined())
        {
            final MemorySegment data = arena.allocate(3 * 4096, 4096);
            assertTrue(BlockHash.isZero(data, 0));
            assertTrue(BlockHash.isZero(data, 4096));
            // One bit anywhere in the block, first long or not, makes it non-zero; neighbours do not count.
            for (final long at : new long[] {4096, 4096 + 7, 4096 + 8, 4096 + 2048, 2 * 4096 - 1})
            {
                data.set(ValueLayout.JAVA_BYTE, at, (byte)0x10);
                assertFalse(BlockHash.isZero(data, 4096), "bit at " + at);
                assertTrue(BlockHash.isZero(data, 0));
                assertTrue(BlockHash.isZero(data, 2 * 4096));
                data.set(ValueLayout.JAVA_BYTE, at, (byte)0);
            }
            assertTrue(BlockHash.isZero(data, 4096));
        }
    }
}
