package io.presync.pool;

import org.junit.jupiter.api.Test;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.List;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class PartitionSpaceTest
{
    private static final long UNIT = 64 << 10; // 16 blocks: one checksum page, 15 data blocks per unit-long segment

    @Test
    void dataSpaceConcatenatesSegmentDataAreas()
    {
        // Segment A: units [10, 12) = 32 blocks, 1 checksum page, 31 data blocks.
        // Segment B: units [3, 4)   = 16 blocks, 1 checksum page, 15 data blocks.
        final PartitionSpace space = new PartitionSpace(List.of(Segment.of(10, 2, UNIT), Segment.of(3, 1, UNIT)), UNIT);
        assertEquals((31 + 15) * 4096L, space.dataBytes());
        assertEquals(10 * UNIT + 4096, space.deviceOffset(0));
        assertEquals(10 * UNIT + 4096 + 30 * 4096L + 100, space.deviceOffset(30 * 4096L + 100));
        assertEquals(3 * UNIT + 4096, space.deviceOffset(31 * 4096L), "block 31 is the first of segment B");
        assertEquals(31 * 4096L, space.contiguousBytes(0));
        assertEquals(7, space.contiguousBytes(31 * 4096L - 7));
        assertEquals(15 * 4096L, space.contiguousBytes(31 * 4096L));
        assertEquals(10 * UNIT, space.checksumOffset(0));
        assertEquals(10 * UNIT + 12 * 30, space.checksumOffset(30 * 4096L + 4095));
        assertEquals(3 * UNIT + 12 * 2, space.checksumOffset(33 * 4096L));
        assertEquals(1, space.segmentOf(31 * 4096L));
        assertThrows(IndexOutOfBoundsException.class, () -> space.deviceOffset(46 * 4096L));
        assertThrows(IndexOutOfBoundsException.class, () -> space.deviceOffset(-1));
    }

    @Test
    void checksumsRoundTripAcrossSegmentsAndLandInTheirSlots() throws Exception
    {
        roundTrip(ChecksumArea.MAX_CACHED_PAGES, 200, 7);
    }

    @Test
    void checksumsRoundTripThroughEvictionsOfATinyCache() throws Exception
    {
        // Three cached pages for nine checksum pages: every round evicts, dirty pages are written on the way out.
        for (int seed = 0; seed < 5; seed++)
        {
            roundTrip(3, 300, seed);
        }
    }

    static void roundTrip(final int maxPages, final int rounds, final long seed) throws Exception
    {
        roundTrip(maxPages, ChecksumArea.BLOCK_PAGES, rounds, seed);
    }

    static void roundTrip(final int maxPages, final int blockPages, final int rounds, final long seed) throws Exception
    {
        final MemoryPoolIo io = new MemoryPoolIo(16 << 20);
        // 1 MiB segments: 256 blocks, 1 checksum page (341 records), 255 data blocks; the second spans
        // 3 units: 768 blocks, 3 checksum pages, 765 data blocks.
        final long unit = 1 << 20;
        final List<Segment> segments = List.of(Segment.of(2, 1, unit), Segment.of(5, 3, unit), Segment.of(12, 1, unit));
        final PartitionSpace space = new PartitionSpace(segments, unit);
        final int blocks = (int)(space.dataBytes() / 4096);
        assertEquals(255 + 765 + 255, blocks);
        final ChecksumArea area = new ChecksumArea(io, space, maxPages, blockPages);
        final Random random = new Random(seed);
        final int[] model = new int[blocks];
        final long[] modelHashes = new long[blocks];
        for (int round = 0; round < rounds; round++)
        {
            final int first = random.nextInt(blocks);
            final int count = 1 + random.nextInt(Math.min(600, blocks - first));
            if (random.nextInt(4) == 0)
            {
                final int[] crcs = new int[count];
                final long[] hashes = new long[count];
                area.load(first * 4096L, crcs, hashes, 0, count);
                for (int i = 0; i < count; i++)
                {
                    assertEquals(model[first + i], crcs[i], "CRC of block " + (first + i));
                    assertEquals(modelHashes[first + i], hashes[i], "hash of block " + (first + i));
                }
                continue;
            }
            final int[] crcs = new int[count + 3];
            final long[] hashes = new long[count + 3];
            for (int i = 0; i < crcs.length; i++)
            {
                crcs[i] = random.nextInt();
                hashes[i] = random.nextLong();
            }
            area.store(first * 4096L, crcs, hashes, 3, count);
            System.arraycopy(crcs, 3, model, first, count);
            System.arraycopy(hashes, 3, modelHashes, first, count);
        }
        assertTrue(area.cachedPages() <= maxPages, "the cache stays within its bound");
        final int[] back = new int[blocks];
        final long[] backHashes = new long[blocks];
        area.load(0, back, backHashes, 0, blocks);
        assertArrayEquals(model, back);
        assertArrayEquals(modelHashes, backHashes);
        area.flush();
        assertEquals(0, area.dirtyPages());
        final int[] reread = new int[blocks];
        final long[] rereadHashes = new long[blocks];
        new ChecksumArea(io, space).load(0, reread, rereadHashes, 0, blocks);
        assertArrayEquals(model, reread, "a fresh area reads what the flush wrote");
        assertArrayEquals(modelHashes, rereadHashes);

        final ByteBuffer image = ByteBuffer.wrap(io.image()).order(ByteOrder.LITTLE_ENDIAN);
        for (int b = 0; b < blocks; b++)
        {
            final int at = (int)space.checksumOffset(b * 4096L);
            assertEquals(model[b], image.getInt(at + ChecksumAreaDescriptor.CRC_OFFSET), "CRC record of block " + b);
            assertEquals(modelHashes[b], image.getLong(at + ChecksumAreaDescriptor.HASH_OFFSET), "hash record of block " + b);
        }
        assertEquals(5 * unit + 2 * 4096 + (764 - 2 * 341) * 12, space.checksumOffset(764 * 4096L + 255 * 4096L),
            "the last record of segment B is on its third checksum page");
        assertEquals(0, image.getInt((int)(5 * unit + 4092)), "the last 4 bytes of a checksum page stay zero");
        assertThrows(IllegalArgumentException.class, () -> area.store(100, new int[1], new long[1], 0, 1));
        assertThrows(IllegalArgumentException.class, () -> area.load((blocks - 1) * 4096L, new int[2], null, 0, 2));
    }
}
