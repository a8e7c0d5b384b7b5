package io.presync.replicate;

import io.presync.btree.ExtentCursor;
import io.presync.btree.ExtentMap;
import io.presync.device.BlockDevice;
import io.presync.device.LoopDevices;
import io.presync.device.OpenOptions;
import io.presync.uring.Ring;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;

class MasterMapTest
{
    private static final long MIB = 1L << 20;

    @RegisterExtension
    final LoopDevices loops = new LoopDevices();

    private static List<String> extents(final ExtentMap map)
    {
        final List<String> list = new ArrayList<>();
        final ExtentCursor c = map.cursor(0);
        while (c.next())
        {
            list.add(c.start() + "-" + c.end());
        }
        return list;
    }

    @Test
    void zeroScanFindsTheNonZeroBlocksAndTheSeekMapCoversThem() throws Exception
    {
        Assumptions.assumeTrue(Ring.unavailableReason() == null, "io_uring unavailable");
        final LoopDevices.Loop loop = loops.create(8 * MIB);
        try (BlockDevice dev = BlockDevice.open(loop.device(), OpenOptions.forWriting()); Arena arena = Arena.ofConfined())
        {
            final MemorySegment ones = BlockDevice.allocateAligned(arena, 3 * 4096, 4096);
            ones.fill((byte)1);
            ones.asSlice(4096, 4096).fill((byte)0); // a zero block inside written data
            dev.write(ones, 4096);
            dev.write(ones.asSlice(0, 4096), 8 * MIB - 4096);
        }
        try (BlockDevice master = BlockDevice.open(loop.device(), OpenOptions.forReading()); Ring ring = Ring.create(8);
             ExtentMap scanned = ExtentMap.inMemory())
        {
            MasterMap.scan(master, ring, scanned);
            assertEquals(List.of("4096-8192", "12288-16384", (8 * MIB - 4096) + "-" + 8 * MIB), extents(scanned));
            try (ExtentMap seek = MasterMap.build(master, ring))
            {
                // The backing file's allocation map is coarser (file-system blocks) but covers every non-zero block.
                final ExtentCursor c = scanned.cursor(0);
                while (c.next())
                {
                    assertEquals(c.end() - c.start(), seek.coveredBytes(c.start(), c.end()));
                }
            }
        }
    }
}
