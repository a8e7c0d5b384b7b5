package io.presync.replicate;

import io.presync.btree.ExtentMap;
import io.presync.device.BlockDevice;
import io.presync.device.LoopDevices;
import io.presync.device.OpenOptions;
import io.presync.uring.Ring;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.nio.file.Files;
import java.util.Arrays;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The read and write probes on loop devices: what they touch and what they leave (never how fast). */
class RateProbeTest
{
    private static final long MIB = 1L << 20;

    @RegisterExtension
    final LoopDevices loops = new LoopDevices();

    @BeforeEach
    void needsUring()
    {
        Assumptions.assumeTrue(Ring.unavailableReason() == null, "io_uring unavailable: " + Ring.unavailableReason());
    }

    @Test
    void readProbeReadsTheMastersDataOrItsStartAndChangesNothing() throws Exception
    {
        final LoopDevices.Loop master = loops.create(16 * MIB);
        ReplicaFixtures.writeRandom(master.device(), 0, 4 * MIB, 1);
        ReplicaFixtures.writeRandom(master.device(), 8 * MIB, 4 * MIB, 2);
        final byte[] before = Files.readAllBytes(master.backingFile());
        try (BlockDevice device = BlockDevice.open(master.device(), OpenOptions.forReading());
            Ring ring = Ring.create(8);
            ExtentMap data = ExtentMap.inMemory();
            ExtentMap none = ExtentMap.inMemory())
        {
            data.insert(0, 4 * MIB, 0);
            data.insert(8 * MIB, 12 * MIB, 0);
            final double fromExtents = RateProbe.measure(device, ring, data);
            assertTrue(fromExtents > 0 && Double.isFinite(fromExtents), "read bytes from the extents: " + fromExtents);
            final double fromStart = RateProbe.measure(device, ring, none);
            assertTrue(fromStart > 0 && Double.isFinite(fromStart), "read bytes from the device's start: " + fromStart);
        }
        assertArrayEquals(before, Files.readAllBytes(master.backingFile()));
    }

    @Test
    void writeProbeGivesBackWhatItWroteAndLeavesTheRestAlone() throws Exception
    {
        final long deviceBytes = 32 * MIB;
        final LoopDevices.Loop pool = loops.create(deviceBytes);
        ReplicaFixtures.writeRandom(pool.device(), 0, deviceBytes, 3);
        final byte[] before = Files.readAllBytes(pool.backingFile());
        final long[] range = {8 * MIB, 16 * MIB};
        final double rate;
        try (Ring ring = Ring.create(8))
        {
            rate = RateProbe.measureWrite(pool.device(), range, ring);
        }
        assertTrue(rate > 0 && Double.isFinite(rate), "wrote bytes: " + rate);
        final byte[] after = Files.readAllBytes(pool.backingFile());
        final int from = (int)range[0];
        final int to = (int)(range[0] + range[1]);
        assertArrayEquals(Arrays.copyOfRange(before, 0, from), Arrays.copyOfRange(after, 0, from), "before the range");
        assertArrayEquals(Arrays.copyOfRange(before, to, after.length), Arrays.copyOfRange(after, to, after.length), "after the range");
        // The probe may stop early on its time budget: a discarded (zero) prefix of whole 1 MiB chunks, then the
        // chunks it did not reach, as they were.
        final byte[] zeros = new byte[(int)MIB];
        int discarded = 0;
        while (from + (discarded + 1) * (int)MIB <= to &&
            Arrays.equals(zeros, Arrays.copyOfRange(after, from + discarded * (int)MIB, from + (discarded + 1) * (int)MIB)))
        {
            discarded++;
        }
        assertTrue(discarded > 0, "the probe wrote and discarded at least its first chunk");
        final int reached = from + discarded * (int)MIB;
        assertEquals(-1, Arrays.mismatch(Arrays.copyOfRange(before, reached, to), Arrays.copyOfRange(after, reached, to)),
            "the part the probe did not reach is unchanged");
    }
}
