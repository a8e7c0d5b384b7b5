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
        assertEquals(10 * UNIT + 4 * 30, space.checksumOffset(30 * 4096L + 4095));
        assertEquals(3 * UNIT + 4 * 2, space.checksumOffset(33 * 4096L));
        assertEquals(1, space.segmentOf(31 * 4096L));
        assertThrows(IndexOutOfBoundsException.class, () -> space.deviceOffset(46 * 4096L));
        assertThrows(IndexOutOfBoundsException.class, () -> space.deviceOffset(-1));
    }

    @Test
    void checksumsRoundTripAcrossSegmentsAndLandInTheirSlots() throws Exception
    {
        final MemoryPoolIo io = new MemoryPoolIo(16 << 20);
        // 1 MiB segments: 256 blocks, 1 checksum page, 255 data blocks; the second spans 3 units.
        final long unit = 1 << 20;
        final List<Segment> segments = List.of(Segment.of(2, 1, unit), Segment.of(5, 3, unit), Segment.of(12, 1, unit));
        final PartitionSpace space = new PartitionSpace(segments, unit);
        final int blocks = (int)(space.dataBytes() / 4096);
        assertEquals(255 + 767 + 255, blocks);
        final ChecksumArea area = new ChecksumArea(io, space);
        final Random random = new Random(7);
        final int[] model = new int[blocks];
        for (int round = 0; round < 200; round++)
        {
            final int first = random.nextInt(blocks);
            final int count = 1 + random.nextInt(Math.min(600, blocks - first));
            final int[] crcs = new int[count + 3];
            for (int i = 0; i < crcs.length; i++)
            {
                crcs[i] = random.nextInt();
            }
            area.store(first * 4096L, crcs, 3, count);
            System.arraycopy(crcs, 3, model, first, count);
        }
        final int[] back = new int[blocks];
        area.load(0, back, 0, blocks);
        assertArrayEquals(model, back);
        assertTrue(area.dirtyPages() > 0, "stores stay in the cache until a flush");
        area.flush();
        assertEquals(0, area.dirtyPages());
        final int[] reread = new int[blocks];
        new ChecksumArea(io, space).load(0, reread, 0, blocks);
        assertArrayEquals(model, reread, "a fresh area reads what the flush wrote");

        final ByteBuffer image = ByteBuffer.wrap(io.image()).order(ByteOrder.LITTLE_ENDIAN);
        for (int b = 0; b < blocks; b++)
        {
            assertEquals(model[b], image.getInt((int)space.checksumOffset(b * 4096L)), "slot of block " + b);
        }
        assertEquals(0, image.getInt((int)(5 * unit + 767 * 4)), "nothing past the last CRC slot of a segment");
        assertThrows(IllegalArgumentException.class, () -> area.store(100, new int[1], 0, 1));
        assertThrows(IllegalArgumentException.class, () -> area.load((blocks - 1) * 4096L, new int[2], 0, 2));
    }
}
