package io.presync.pool;

import io.presync.device.LoopDevices;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertEquals;

/** The data path on a real loop device (O_DIRECT), 512- and 4096-byte sectors, checked after reopening. */
class PartitionDeviceTest
{
    @RegisterExtension
    final LoopDevices loops = new LoopDevices();

    @Test
    void randomWritesOn512ByteSectors() throws Exception
    {
        randomWrites(512);
    }

    @Test
    void randomWritesOn4KiBSectors() throws Exception
    {
        randomWrites(4096);
    }

    private void randomWrites(final int sectorBytes) throws Exception
    {
        final int logical = 32 << 20;
        final LoopDevices.Loop loop = loops.create(48 << 20, sectorBytes);
        final PartitionTest.Model model = new PartitionTest.Model(logical);
        final Random random = new Random(sectorBytes);
        try (Pool pool = Pool.create(loop.device(), Pool.CreateOptions.defaults()))
        {
            pool.allocate("vm", MasterIdentity.of("/dev/master", logical), 20 << 20);
            try (Partition p = pool.openPartition("vm"))
            {
                for (int i = 0; i < 200; i++)
                {
                    final int blocks = 1 + random.nextInt(64);
                    final long offset = (long)random.nextInt(logical / PartitionTest.BLOCK - blocks) * PartitionTest.BLOCK;
                    PartitionTest.write(p, model, offset, PartitionTest.randomBlocks(random, blocks));
                }
                p.commit();
            }
        }
        try (Pool pool = Pool.open(loop.device()); Partition p = pool.openPartition("vm"))
        {
            PartitionTest.assertMatches(p, model);
            assertEquals(PartitionState.COPYING, pool.partition("vm").orElseThrow().state());
        }
    }
}
